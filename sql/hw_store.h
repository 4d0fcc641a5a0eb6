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

/* ---- cameras --------------------------------------------------------------------------------- */

/* Records that a camera id exists and where it was provisioned ("config" or "api"), so that its
 * footage keeps an owner after the camera leaves the config. Idempotent. */
bool hw_store_camera_upsert(HwStore *store, const char *camera, const char *source,
                            GError **error);

G_END_DECLS
