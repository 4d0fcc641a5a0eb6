/* The store: HallWatch's SQLite database, and the only C code that speaks SQL.
 * Owns the schema (numbered migrations under sql/, built into the binary), the recording index
 * (files, fragments, outages, holds) and retention queries. Every function is thread-safe: the
 * handle serialises writers behind one mutex; statements are prepared once.
 *
 * Times are hw_time_ns (ns since the Unix epoch, UTC). Paths of footage files are stored relative
 * to the footage root. Errors a person reads come back as GError (domain HW_STORE_ERROR). */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/hw_time.h"

G_BEGIN_DECLS

#define HW_STORE_ERROR (hw_store_error_quark())
GQuark hw_store_error_quark(void);

typedef enum {
  HW_STORE_ERROR_OPEN,        /* the file cannot be opened or is not a database */
  HW_STORE_ERROR_TOO_NEW,     /* the database was written by a newer HallWatch */
  HW_STORE_ERROR_MIGRATION,   /* a migration failed; nothing of it was applied */
  HW_STORE_ERROR_SQL,         /* any other SQLite failure */
  HW_STORE_ERROR_NOT_FOUND,
  HW_STORE_ERROR_INVALID,     /* the call breaks this contract (e.g. fragments out of seq order,
                               * commit without begin); nothing was written */
  HW_STORE_ERROR_EXISTS,      /* a row with this unique name already exists */
  HW_STORE_ERROR_CONFLICT,    /* the change would break a rule across rows (e.g. leave no enabled
                               * administrator); nothing was written */
} HwStoreError;

typedef struct HwStore HwStore;

/* Opens (creating if needed) the database at path, sets WAL mode, foreign keys and a busy
 * timeout, and applies every migration the file lacks, each in its own transaction. A database
 * whose schema version is newer than this binary knows is refused (HW_STORE_ERROR_TOO_NEW, with
 * both versions in the message). Returns a new handle (free with hw_store_close) or NULL. */
HwStore *hw_store_open(const char *path, GError **error);
void hw_store_close(HwStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HwStore, hw_store_close)

/* The schema version this binary applies, and the one the open file has. */
int hw_store_schema_version_known(void);
int hw_store_schema_version(HwStore *store);

/* The database's identity: a random UUID made when the file was created (transfer none). The
 * footage folder carries the same UUID, so a folder that belongs to another database (e.g. a
 * disk that was not mounted) is recognised before anything is deleted. */
const char *hw_store_uuid(HwStore *store);

/* Transactions: the index writer wraps each batch (file rows, fragment rows, outage rows) in one
 * transaction. hw_store_begin takes the handle's write lock; commit or rollback releases it. No
 * other call may be made from another thread's transaction in between (the lock enforces it).
 * Calls made by the same thread inside the transaction join it. If a call fails inside the
 * transaction, none of its own rows are written and the transaction stays usable. If commit fails,
 * the transaction is rolled back and the lock released all the same. Rollback without a
 * transaction does nothing (safe in cleanup paths). */
bool hw_store_begin(HwStore *store, GError **error);
bool hw_store_commit(HwStore *store, GError **error);
void hw_store_rollback(HwStore *store);

/* ---- recording index ---------------------------------------------------------------------- */

typedef struct {
  int64_t id;              /* set by the store on insert */
  char camera[64];
  char stream[8];          /* "main" or "sub" */
  char path[256];          /* relative to the footage root */
  char codec[16];          /* "h264" or "h265" */
  char audio_codec[16];    /* "aac" or "" */
  int width, height;
  hw_time_ns start_ns;     /* wall-clock time of the first frame */
  hw_time_ns end_ns;       /* end of the last indexed frame; 0 while open with no fragment */
  int64_t size;            /* bytes that are durable and indexed (init segment + fragments) */
  int64_t init_size;       /* bytes of ftyp+moov at the start of the file */
  bool closed;             /* the file is final and sha256 is set */
  char sha256[65];         /* lowercase hex, "" while open */
  char clock_mode[8];      /* "local" or "camera": which clock the times follow */
  int64_t clock_offset_ns; /* measured camera clock minus local clock, 0 if unknown */
  int64_t run_id;          /* files of one uninterrupted run share it */
} HwStoreFile;

typedef struct {
  int64_t file_id;
  int32_t seq;             /* 0, 1, 2… within the file (the moof sequence_number - 1) */
  int64_t offset;          /* byte offset of the fragment (its prft/moof) in the file */
  int64_t length;          /* bytes of the fragment: prft + moof + mdat */
  hw_time_ns start_ns;     /* wall-clock time of its first frame */
  int64_t duration_ns;
  int32_t frames;          /* video frames */
  bool keyframe_start;     /* it starts on a keyframe (false only when a GOP exceeds 2 s) */
} HwStoreFragment;

/* Inserts a file row (id is ignored and set in *ret_id). */
bool hw_store_file_insert(HwStore *store, const HwStoreFile *file, int64_t *ret_id, GError **error);

/* Appends fragments of one file and moves the file's size and end_ns forward to cover them.
 * Fragments must come in seq order; a fragment already stored (same file_id, seq) is an error. */
bool hw_store_fragments_append(HwStore *store, const HwStoreFragment *frags, size_t n,
                               GError **error);

/* Marks a file final: its size, end and SHA-256. */
bool hw_store_file_close(HwStore *store, int64_t file_id, int64_t size, hw_time_ns end_ns,
                         const char *sha256_hex, GError **error);

/* Looks a file up by id or by relative path. Returns false with HW_STORE_ERROR_NOT_FOUND. */
bool hw_store_file_get(HwStore *store, int64_t file_id, HwStoreFile *ret, GError **error);
bool hw_store_file_get_by_path(HwStore *store, const char *path, HwStoreFile *ret, GError **error);

/* Deletes a file row and its fragments (the caller unlinks the file first). */
bool hw_store_file_delete(HwStore *store, int64_t file_id, GError **error);
/* The same for a file retention deleted: in one transaction with the row's delete, the camera's
 * footage counts as expired up to the file's end (hw_store_expired_until). */
bool hw_store_file_expire(HwStore *store, int64_t file_id, GError **error);

/* Cuts a file's index back to its first n fragments (recovery of a torn tail). */
bool hw_store_file_truncate(HwStore *store, int64_t file_id, int32_t n_fragments, int64_t size,
                            hw_time_ns end_ns, GError **error);

/* Calls fn for every file row (open ones only when open_only), oldest first. Stops early and
 * returns false if fn returns false. The callback must not call into the store. */
typedef bool (*HwStoreFileFn)(const HwStoreFile *file, void *user);
bool hw_store_files_foreach(HwStore *store, bool open_only, HwStoreFileFn fn, void *user,
                            GError **error);

/* The fragments of a file in seq order, as a newly allocated array (g_free) of *ret_n items. */
bool hw_store_fragments_of_file(HwStore *store, int64_t file_id, HwStoreFragment **ret,
                                size_t *ret_n, GError **error);

/* Files of a camera stream that overlap [from, to), in time order (g_free the array). */
bool hw_store_files_in_range(HwStore *store, const char *camera, const char *stream,
                             hw_time_ns from, hw_time_ns to, HwStoreFile **ret, size_t *ret_n,
                             GError **error);

/* The end of the last indexed footage of a camera stream (0 if none). */
bool hw_store_last_end(HwStore *store, const char *camera, const char *stream,
                       hw_time_ns *ret_end, GError **error);

/* A new run id, unique in this database. */
bool hw_store_next_run_id(HwStore *store, int64_t *ret, GError **error);

/* ---- footage: reading the index back (sql/store_footage.c) -------------------------------------- */

/* Called for each file of a stream overlapping [from, to), in start order, with its id and
 * [start, end); return false to stop. Must not call into the store. */
typedef bool (*HwStoreSpanFn)(int64_t file_id, hw_time_ns start_ns, hw_time_ns end_ns, void *user);
/* Streams the spans of the files of camera/stream overlapping [from, to) (open files without a
 * fragment are left out). Memory does not grow with the range: a 30-day range costs one pass over
 * an index range. */
bool hw_store_file_spans(HwStore *store, const char *camera, const char *stream, hw_time_ns from,
                         hw_time_ns to, HwStoreSpanFn fn, void *user, GError **error);

/* The fragments of file_id overlapping [from, to), in seq order (g_free the array). With
 * from_keyframe, the list starts at the latest fragment at or before the first one that starts on
 * a keyframe, so that it can be decoded from its beginning. */
bool hw_store_fragments_in_range(HwStore *store, int64_t file_id, hw_time_ns from, hw_time_ns to,
                                 bool from_keyframe, HwStoreFragment **ret, size_t *ret_n,
                                 GError **error);

/* Whether camera ever recorded or was provisioned (a row in `cameras`). */
bool hw_store_camera_known(HwStore *store, const char *camera, bool *ret_known, GError **error);

/* ---- outages: why footage is missing ------------------------------------------------------- */

typedef enum {
  HW_OUTAGE_CAMERA_UNREACHABLE,
  HW_OUTAGE_AUTH_REFUSED,
  HW_OUTAGE_STREAM_STALLED,
  HW_OUTAGE_STREAM_ERROR,
  HW_OUTAGE_DAEMON_DOWN,
  HW_OUTAGE_DISK_FLOOR,
  HW_OUTAGE_CLOCK_STEP,
  HW_OUTAGE_STORAGE_ERROR,
} HwOutageReason;

/* "camera_unreachable", "auth_refused", … (the strings stored and shown by the API); NULL for a
 * value outside the enum. */
const char *hw_outage_reason_name(HwOutageReason reason);

typedef struct {
  int64_t id;
  char camera[64];
  char stream[8];
  hw_time_ns start_ns;
  hw_time_ns end_ns; /* 0 while open */
  char reason[32];
  char detail[256];
} HwStoreOutage;

/* Opens an outage row (end unknown) and returns its id. */
bool hw_store_outage_open(HwStore *store, const char *camera, const char *stream,
                          hw_time_ns start_ns, HwOutageReason reason, const char *detail,
                          int64_t *ret_id, GError **error);
/* Sets the end of an open outage (HW_STORE_ERROR_NOT_FOUND if no open outage has this id). */
bool hw_store_outage_close(HwStore *store, int64_t outage_id, hw_time_ns end_ns, GError **error);
/* Closes every outage still open (at start-up: the daemon died with them open) at end_ns. */
bool hw_store_outage_close_all_open(HwStore *store, hw_time_ns end_ns, GError **error);
/* Outages of a camera stream overlapping [from, to), in time order (g_free the array). */
bool hw_store_outages_in_range(HwStore *store, const char *camera, const char *stream,
                               hw_time_ns from, hw_time_ns to, HwStoreOutage **ret, size_t *ret_n,
                               GError **error);

/* ---- holds and retention -------------------------------------------------------------------- */

typedef struct {
  int64_t id;
  char camera[64];
  hw_time_ns from_ns, to_ns; /* the held footage */
  char reason[128];
  hw_time_ns until_ns;       /* 0: until released */
} HwStoreHold;

/* Adds a hold (from_ns < to_ns) and returns its id. Releasing ends it; the row stays as a record,
 * marked released. Releasing a hold that is unknown or already released: NOT_FOUND. */
bool hw_store_hold_add(HwStore *store, const HwStoreHold *hold, int64_t *ret_id, GError **error);
bool hw_store_hold_release(HwStore *store, int64_t hold_id, GError **error);

/* The oldest closed files that no live hold overlaps (holds whose until_ns is 0 or later than
 * now), optionally limited to one camera (camera NULL: all), oldest first, at most max rows
 * (g_free the array). A file is held if a hold on its camera overlaps [start_ns, end_ns). */
bool hw_store_deletable_files(HwStore *store, const char *camera, hw_time_ns now, size_t max,
                              HwStoreFile **ret, size_t *ret_n, GError **error);

/* Bytes indexed for a camera (camera NULL: all cameras) and the start of its oldest file. */
bool hw_store_usage(HwStore *store, const char *camera, int64_t *ret_bytes,
                    hw_time_ns *ret_oldest, GError **error);
/* The end of the newest file of camera that retention deleted (0: none ever was). */
bool hw_store_expired_until(HwStore *store, const char *camera, hw_time_ns *ret, GError **error);

/* ---- cameras --------------------------------------------------------------------------------- */

/* Records that a camera id exists and where it was provisioned ("config" or "api"), so that its
 * footage keeps an owner after the camera leaves the config. Idempotent. */
bool hw_store_camera_upsert(HwStore *store, const char *camera, const char *source,
                            GError **error);

/* ---- camera management (sql/store_cameras.c) ---------------------------------------------------
 * Cameras provisioned through the API (camera_settings), halls, windows and the window→camera
 * mapping with validity intervals. Credentials arrive already sealed (common/hw_secret.h): the
 * store keeps the box and never sees them in clear. `halls` arguments are a caller's scope: a
 * NULL-terminated list of hall codes, or NULL for "every hall"; filtering happens in SQL. */

typedef struct {
  char id[64];
  char name[128];
  char url[1024];
  char substream_url[1024]; /* "" if none */
  char transport[4];        /* "tcp" / "udp" */
  char clock[8];            /* "local" / "camera" */
  bool enabled;
  int64_t retain_days, retain_bytes;
  char hall[64];            /* "" if in no hall */
  bool has_credentials;     /* a sealed box is stored (the box itself: hw_store_camera_credentials) */
  hw_time_ns created_ns, updated_ns;
} HwStoreCamera;

/* Adds a camera (HW_STORE_ERROR_EXISTS if the id is taken by another API camera) and marks its
 * id in `cameras` as source "api", in one transaction. credentials (nullable) is the sealed box. */
bool hw_store_camera_add(HwStore *store, const HwStoreCamera *cam, GBytes *credentials,
                         GError **error);
/* Replaces every setting of camera cam->id (NOT_FOUND if none); the credentials box only when
 * set_credentials (then credentials NULL removes them). */
bool hw_store_camera_update(HwStore *store, const HwStoreCamera *cam, bool set_credentials,
                            GBytes *credentials, GError **error);
/* Deletes an API camera's settings and closes its open window intervals at now, in one
 * transaction. The `cameras` row and the footage stay. NOT_FOUND if there is no such camera. */
bool hw_store_camera_delete(HwStore *store, const char *id, hw_time_ns now, GError **error);
/* One API camera (NOT_FOUND if none or outside halls). */
bool hw_store_camera_get(HwStore *store, const char *id, const char *const *halls,
                         HwStoreCamera *ret, GError **error);
/* API cameras within halls, by id (g_free the array). */
bool hw_store_cameras_list(HwStore *store, const char *const *halls, HwStoreCamera **ret,
                           size_t *ret_n, GError **error);
/* The sealed credentials box of a camera (transfer full), *ret NULL if it has none. */
bool hw_store_camera_credentials(HwStore *store, const char *id, GBytes **ret, GError **error);

typedef struct {
  char code[64];
  char name[128];
} HwStoreHall;

bool hw_store_hall_add(HwStore *store, const HwStoreHall *hall, GError **error);
bool hw_store_halls_list(HwStore *store, const char *const *halls, HwStoreHall **ret,
                         size_t *ret_n, GError **error);

typedef struct {
  int64_t id;
  char hall[64];
  char code[64];
  char name[128];
  char departments[2048]; /* JSON array of department codes */
} HwStoreWindow;

/* Adds a window (id ignored, set in *ret_id); EXISTS if the hall already has this code,
 * INVALID if the hall is unknown. */
bool hw_store_window_add(HwStore *store, const HwStoreWindow *w, int64_t *ret_id, GError **error);
/* Replaces code, name and departments of window w->id (its hall never changes). */
bool hw_store_window_update(HwStore *store, const HwStoreWindow *w, GError **error);
bool hw_store_window_get(HwStore *store, int64_t id, const char *const *halls, HwStoreWindow *ret,
                         GError **error);
bool hw_store_windows_list(HwStore *store, const char *const *halls, HwStoreWindow **ret,
                           size_t *ret_n, GError **error);

/* Makes cameras[0..n) the window's cameras from `from` on, in one transaction: open intervals of
 * cameras no longer listed are closed at from, listed cameras without an open interval get one;
 * cameras kept stay on their interval. INVALID if from precedes the start of an interval it would
 * close (history is never rewritten). */
bool hw_store_window_set_cameras(HwStore *store, int64_t window_id, const char *const *cameras,
                                 size_t n, hw_time_ns from, GError **error);
/* The cameras that covered window_id at t, by id (NULL-terminated, g_strfreev; empty if none). */
bool hw_store_cameras_for_window_at(HwStore *store, int64_t window_id, hw_time_ns t,
                                    char ***ret, GError **error);
/* The windows a camera covers now (open intervals), by hall and code (g_free the array). */
bool hw_store_camera_windows(HwStore *store, const char *camera, HwStoreWindow **ret,
                             size_t *ret_n, GError **error);

/* ---- end camera management --------------------------------------------------------------- */

/* ---- evidence exports (sql/store_exports.c) ------------------------------------------------------
 * Export jobs (media/hw_export.h does the work) and the window history an export's manifest
 * names. `halls` is a caller's scope as in the camera section (NULL: every hall; an export made
 * for a camera in no hall has hall "" and is seen only by unrestricted callers). */

typedef struct {
  int64_t window_id;
  char hall[64];
  char code[64];
  char name[128];
  hw_time_ns from_ns, to_ns; /* the camera covered the window then; to_ns 0: still does */
} HwStoreWindowSpan;

/* The windows camera covered at any time in [from, to), by start (g_free the array). */
bool hw_store_camera_window_spans(HwStore *store, const char *camera, hw_time_ns from,
                                  hw_time_ns to, HwStoreWindowSpan **ret, size_t *ret_n,
                                  GError **error);

typedef struct {
  int64_t id;
  char camera[64];
  char hall[64];
  hw_time_ns from_ns, to_ns;
  char case_id[128];
  char stage[128];
  int64_t stage_event; /* a case stage export: the stage event's store id; 0 otherwise */
  char requested_by[64];
  char role[32];
  char state[16]; /* "queued", "running", "done", "failed" */
  int progress;   /* 0..100 */
  char error[512];
  char package[256]; /* file name in the exports folder, "" until done */
  int64_t size;
  char sha256[65], mp4_sha256[65];
  hw_time_ns actual_from_ns, actual_to_ns;
  int64_t gaps;
  int64_t hold_id;         /* 0: none */
  hw_time_ns hold_released_ns; /* 0: the hold is live */
  hw_time_ns created_ns, started_ns, finished_ns;
  hw_time_ns deleted_ns; /* the package was deleted then; 0: not deleted */
  char deleted_by[64];
} HwStoreExport;

/* Adds a queued job and its hold on [from, to) of the camera (reason "export <id>"), in one
 * transaction; sets *ret_id. Uses camera, hall, range, case_id, stage, stage_event, requested_by,
 * role. */
bool hw_store_export_add(HwStore *store, const HwStoreExport *e, int64_t *ret_id, GError **error);
/* One job within halls (NOT_FOUND if none or outside). */
bool hw_store_export_get(HwStore *store, int64_t id, const char *const *halls, HwStoreExport *ret,
                         GError **error);
/* Jobs within halls, newest first, at most max (g_free the array). */
bool hw_store_exports_list(HwStore *store, const char *const *halls, size_t max,
                           HwStoreExport **ret, size_t *ret_n, GError **error);
/* queued → running (started_ns now); NOT_FOUND unless it was queued. */
bool hw_store_export_start(HwStore *store, int64_t id, GError **error);
bool hw_store_export_progress(HwStore *store, int64_t id, int progress, GError **error);
/* running → done with the result fields of e (package, size, sha256, mp4_sha256, actual range,
 * gaps), progress 100. */
bool hw_store_export_done(HwStore *store, const HwStoreExport *e, GError **error);
/* → failed with the reason (any unfinished state). */
bool hw_store_export_fail(HwStore *store, int64_t id, const char *reason, GError **error);
/* A done job's package deleted by `by` (deleted_ns now); NOT_FOUND unless it was done and not
 * deleted. The caller removes the file after this commits. The hold is not touched. */
bool hw_store_export_delete(HwStore *store, int64_t id, const char *by, GError **error);
/* At start: jobs left running are failed with reason; the ids of queued ones (to run again) in
 * *ret (g_free), oldest first. */
bool hw_store_exports_recover(HwStore *store, const char *reason, int64_t **ret, size_t *ret_n,
                              GError **error);
/* The number of jobs queued or running. */
bool hw_store_exports_unfinished(HwStore *store, int64_t *ret, GError **error);
/* ---- end evidence exports ------------------------------------------------------------------ */

/* ---- audit log (sql/store_audit.c) -------------------------------------------------------------
 * An append-only hash chain: row n carries the SHA-256 of row n-1's canonical form (prev_hash)
 * and of its own (hash). The canonical form of a row is the concatenation of netstrings
 * ("<decimal byte length>:<bytes>,") of, in this order: the text "hallwatch-audit-row-v1", seq,
 * time_ns (both decimal, '-' for a negative), actor, role, address, action, object_type,
 * object_id, detail and prev_hash; hash is lowercase hex. The first row's prev_hash is 64 '0's.
 * docs/audit.md shows how to recompute it with sqlite3 and sha256sum. */

#define HW_AUDIT_ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

/* An event to append. Strings are borrowed; NULL counts as "" (detail: NULL counts as "{}").
 * actor and action are required; detail must be a JSON text. Limits (bytes): actor 127, role 31,
 * address 63, action 63 (lowercase words joined by dots, "auth.login"), object_type 31,
 * object_id 127, detail 4095; anything longer is refused (HW_STORE_ERROR_INVALID). */
typedef struct {
  hw_time_ns time_ns;
  const char *actor;  /* user name, token name or "system" */
  const char *role;
  const char *address; /* the caller's IP address, "" for local actions */
  const char *action;
  const char *object_type;
  const char *object_id;
  const char *detail;
} HwAuditEvent;

typedef struct {
  int64_t seq;
  hw_time_ns time_ns;
  char actor[128];
  char role[32];
  char address[64];
  char action[64];
  char object_type[32];
  char object_id[128];
  char detail[4096];
  char prev_hash[65];
  char hash[65];
} HwAuditRow;

/* A signed head of the chain (hex): signature over hw_audit_head_message(). */
typedef struct {
  int64_t id;
  int64_t seq;
  char head_hash[65];
  hw_time_ns signed_at_ns;
  char signature[129];
  char public_key[65];
} HwAuditHead;

/* Computes row's hash (lowercase hex) from its canonical form, using row->prev_hash and every
 * other field but row->hash. Pure; no store needed. */
void hw_store_audit_row_hash(const HwAuditRow *row, char ret_hash[65]);

/* Appends one event (n events) as the next row(s) of the chain, in one transaction (a savepoint
 * inside the caller's): prev_hash and seq are read inside it, so writers in other processes
 * cannot fork the chain. One commit, so one WAL sync, per call: high-rate callers batch with
 * append_many. Sets *ret_seq (nullable) to the seq of the (last) row. Nothing is written on
 * failure. */
bool hw_store_audit_append(HwStore *store, const HwAuditEvent *ev, int64_t *ret_seq,
                           GError **error);
bool hw_store_audit_append_many(HwStore *store, const HwAuditEvent *evs, size_t n,
                                int64_t *ret_seq, GError **error);

/* The auditor's filter. Zero/NULL fields do not filter. Rows come in seq order, those with
 * seq > after_seq, time_ns in [from_ns, to_ns) (to_ns 0: no end), at most limit rows (0 or more
 * than HW_AUDIT_QUERY_MAX: HW_AUDIT_QUERY_MAX). */
#define HW_AUDIT_QUERY_MAX 1000
typedef struct {
  hw_time_ns from_ns, to_ns;
  const char *actor;
  const char *action;      /* exact, or a prefix ending in '.' ("auth." matches auth.login) */
  const char *object_type;
  const char *object_id;
  int64_t after_seq;
  size_t limit;
} HwAuditFilter;

/* Rows matching filter as a newly allocated array (g_free) of *ret_n items. */
bool hw_store_audit_query(HwStore *store, const HwAuditFilter *filter, HwAuditRow **ret,
                          size_t *ret_n, GError **error);

/* Calls fn for every row with seq > after_seq in seq order (no filter, no limit: for verify).
 * Stops early and returns true if fn returns false. fn must not call into the store. The row
 * passed is only valid during the call. */
typedef bool (*HwAuditRowFn)(const HwAuditRow *row, void *user);
bool hw_store_audit_foreach(HwStore *store, int64_t after_seq, HwAuditRowFn fn, void *user,
                            GError **error);

/* The last row's seq and hash (0 and HW_AUDIT_ZERO_HASH for an empty log). */
bool hw_store_audit_head(HwStore *store, int64_t *ret_seq, char ret_hash[65], GError **error);

/* Appends a signed head; the signed heads, oldest first (g_free the array). */
bool hw_store_audit_head_add(HwStore *store, const HwAuditHead *head, GError **error);
bool hw_store_audit_heads(HwStore *store, HwAuditHead **ret, size_t *ret_n, GError **error);
/* The most recently signed head (highest id) in *ret, *ret_found false if none was signed. */
bool hw_store_audit_last_head(HwStore *store, HwAuditHead *ret, bool *ret_found, GError **error);

/* The database file's path (transfer none): the appliance key lives next to it. */
const char *hw_store_filename(HwStore *store);

/* ---- end audit log ------------------------------------------------------------------------- */

G_END_DECLS
