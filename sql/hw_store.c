/* The store: opens the SQLite index, applies the embedded migrations, and runs every query of the
 * recording index, outages, holds and retention. One connection per handle, guarded by one
 * recursive mutex; every statement is prepared once at open and cached in the handle. */
#include "sql/hw_store.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <string.h>

#include "sql/hw_store_private.h"

G_DEFINE_QUARK(hw - store - error - quark, hw_store_error)

/* Long enough to ride out a checkpoint or an operator's sqlite3 shell; short enough that a stuck
 * lock surfaces as an error the index thread reports instead of a silent hang. */
#define HW_STORE_BUSY_TIMEOUT_MS 5000

#define FILE_COLS                                                                                  \
  "id, camera, stream, path, codec, audio_codec, width, height, start_ns, end_ns, size, "          \
  "init_size, closed, sha256, clock_mode, clock_offset_ns, run_id"
#define FRAGMENT_COLS "file_id, seq, offset, length, start_ns, duration_ns, frames, keyframe_start"
#define OUTAGE_COLS "id, camera, stream, start_ns, end_ns, reason, detail"
/* A hold is live if it is not released and has not expired by ?1 (now), and it protects a file
 * of its camera whose [start_ns, end_ns) it overlaps. */
#define NOT_HELD                                                                                   \
  "NOT EXISTS (SELECT 1 FROM holds h WHERE h.camera = f.camera AND h.released_ns = 0"              \
  " AND (h.until_ns = 0 OR h.until_ns > ?1) AND h.from_ns < f.end_ns AND h.to_ns > f.start_ns)"

typedef enum {
  ST_BEGIN,
  ST_COMMIT,
  ST_ROLLBACK,
  ST_SAVEPOINT,
  ST_RELEASE,
  ST_ROLLBACK_TO,
  ST_FILE_INSERT,
  ST_FILE_GET,
  ST_FILE_GET_BY_PATH,
  ST_FILE_NEXT_SEQ,
  ST_FRAGMENT_INSERT,
  ST_FILE_EXTEND,
  ST_FILE_CLOSE,
  ST_FILE_DELETE,
  ST_FILE_SET_END,
  ST_FRAGMENTS_CUT,
  ST_FILES_ALL,
  ST_FILES_OPEN,
  ST_FRAGMENTS_OF_FILE,
  ST_FILES_IN_RANGE,
  ST_LAST_END,
  ST_NEXT_RUN_ID,
  ST_OUTAGE_OPEN,
  ST_OUTAGE_CLOSE,
  ST_OUTAGE_CLOSE_ALL,
  ST_OUTAGES_IN_RANGE,
  ST_HOLD_ADD,
  ST_HOLD_RELEASE,
  ST_DELETABLE_ALL,
  ST_DELETABLE_CAMERA,
  ST_CAMERA_UPSERT,
  ST_COUNT
} StmtId;

static const char *const stmt_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SAVEPOINT] = "SAVEPOINT hw_op",
    [ST_RELEASE] = "RELEASE hw_op",
    [ST_ROLLBACK_TO] = "ROLLBACK TO hw_op",
    [ST_FILE_INSERT] =
        "INSERT INTO files (camera, stream, path, codec, audio_codec, width, height,"
        " start_ns, end_ns, size, init_size, closed, sha256, clock_mode,"
        " clock_offset_ns, run_id)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    [ST_FILE_GET] = "SELECT " FILE_COLS " FROM files WHERE id = ?1",
    [ST_FILE_GET_BY_PATH] = "SELECT " FILE_COLS " FROM files WHERE path = ?1",
    [ST_FILE_NEXT_SEQ] =
        "SELECT (SELECT coalesce(max(seq) + 1, 0) FROM fragments WHERE file_id = ?1)"
        " FROM files WHERE id = ?1",
    [ST_FRAGMENT_INSERT] = "INSERT INTO fragments (" FRAGMENT_COLS ")"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [ST_FILE_EXTEND] =
        "UPDATE files SET size = max(size, ?2), end_ns = max(end_ns, ?3) WHERE id = ?1",
    [ST_FILE_CLOSE] =
        "UPDATE files SET size = ?2, end_ns = ?3, sha256 = ?4, closed = 1 WHERE id = ?1",
    [ST_FILE_DELETE] = "DELETE FROM files WHERE id = ?1",
    [ST_FILE_SET_END] = "UPDATE files SET size = ?2, end_ns = ?3 WHERE id = ?1",
    [ST_FRAGMENTS_CUT] = "DELETE FROM fragments WHERE file_id = ?1 AND seq >= ?2",
    [ST_FILES_ALL] = "SELECT " FILE_COLS " FROM files ORDER BY start_ns, id",
    [ST_FILES_OPEN] = "SELECT " FILE_COLS " FROM files WHERE closed = 0 ORDER BY start_ns, id",
    [ST_FRAGMENTS_OF_FILE] =
        "SELECT " FRAGMENT_COLS " FROM fragments WHERE file_id = ?1 ORDER BY seq",
    /* Ranges are half-open: [from, to) with from >= to is empty and overlaps nothing.
     * The lower bound on start_ns (from minus the longest file this stream ever had) turns the
     * overlap test into a bounded index range instead of a walk over the stream's whole history. */
    [ST_FILES_IN_RANGE] =
        "SELECT " FILE_COLS " FROM files"
        " WHERE camera = ?1 AND stream = ?2 AND start_ns < ?4 AND end_ns > ?3 AND ?3 < ?4"
        " AND start_ns >= ?3 - coalesce((SELECT max_span_ns FROM file_spans"
        "   WHERE camera = ?1 AND stream = ?2), 0)"
        " ORDER BY start_ns, id",
    [ST_LAST_END] = "SELECT coalesce(max(end_ns), 0) FROM files WHERE camera = ?1 AND stream = ?2",
    [ST_NEXT_RUN_ID] = "UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)"
                       " WHERE key = 'last_run_id' RETURNING CAST(value AS INTEGER)",
    [ST_OUTAGE_OPEN] = "INSERT INTO outages (camera, stream, start_ns, end_ns, reason, detail)"
                       " VALUES (?1, ?2, ?3, 0, ?4, ?5)",
    [ST_OUTAGE_CLOSE] = "UPDATE outages SET end_ns = ?2 WHERE id = ?1 AND end_ns = 0",
    /* max(): after a clock step back the daemon's "now" may precede the outage's start. */
    [ST_OUTAGE_CLOSE_ALL] = "UPDATE outages SET end_ns = max(?1, start_ns) WHERE end_ns = 0",
    [ST_OUTAGES_IN_RANGE] = "SELECT " OUTAGE_COLS " FROM outages"
                            " WHERE camera = ?1 AND stream = ?2 AND start_ns < ?4"
                            " AND (end_ns = 0 OR end_ns > ?3) AND ?3 < ?4 ORDER BY start_ns, id",
    [ST_HOLD_ADD] = "INSERT INTO holds (camera, from_ns, to_ns, reason, until_ns, created_ns)"
                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [ST_HOLD_RELEASE] = "UPDATE holds SET released_ns = ?2 WHERE id = ?1 AND released_ns = 0",
    [ST_DELETABLE_ALL] = "SELECT " FILE_COLS " FROM files f WHERE f.closed = 1 AND " NOT_HELD
                         " ORDER BY f.start_ns, f.id LIMIT ?2",
    [ST_DELETABLE_CAMERA] = "SELECT " FILE_COLS " FROM files f WHERE f.camera = ?3 AND f.closed = 1"
                            " AND " NOT_HELD " ORDER BY f.start_ns, f.id LIMIT ?2",
    /* A camera that moves from the config file to the API keeps its creation time. */
    [ST_CAMERA_UPSERT] = "INSERT INTO cameras (id, source, created_ns) VALUES (?1, ?2, ?3)"
                         " ON CONFLICT (id) DO UPDATE SET source = excluded.source"
                         " WHERE source <> excluded.source",
};

struct HwStore {
  GRecMutex lock; /* every call; held from hw_store_begin to commit/rollback */
  sqlite3 *db;
  char *path;
  char uuid[37];
  int schema_version;
  bool in_tx; /* hw_store_begin succeeded and no commit/rollback yet */
  sqlite3_stmt *stmts[ST_COUNT];
  GHashTable *module_stmts; /* SQL text (static) → statement, for other sql/ files */
};

/* ---- helpers ----------------------------------------------------------------------------------
 */

static void G_GNUC_PRINTF(4, 5)
    set_error(GError **error, sqlite3 *db, int code, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *what = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_set_error(error, HW_STORE_ERROR, code, "%s: %s", what, sqlite3_errmsg(db));
}

/* Statements are reset (and their bindings dropped, so no borrowed string outlives the call) when
 * the variable holding them goes out of scope. */
static void stmt_cleanup(sqlite3_stmt **st)
{
  if (*st != NULL) {
    sqlite3_reset(*st);
    sqlite3_clear_bindings(*st);
  }
}
#define AUTO_STMT __attribute__((cleanup(stmt_cleanup))) sqlite3_stmt *

static void bind_text_n(sqlite3_stmt *st, int i, const char *s, size_t max)
{
  sqlite3_bind_text(st, i, s, (int)strnlen(s, max), SQLITE_STATIC);
}

static void copy_text(char *dst, size_t len, sqlite3_stmt *st, int col)
{
  const unsigned char *s = sqlite3_column_text(st, col);
  g_strlcpy(dst, s != NULL ? (const char *)s : "", len);
}

/* Steps a statement that returns no rows. fmt names what was being done, for the error. */
static bool G_GNUC_PRINTF(4, 5)
    step_done(HwStore *s, sqlite3_stmt *st, GError **error, const char *fmt, ...)
{
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE || rc == SQLITE_ROW)
    return true;
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *what = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  set_error(error, s->db, HW_STORE_ERROR_SQL, "%s", what);
  return false;
}

static bool run(HwStore *s, StmtId id, GError **error, const char *what)
{
  AUTO_STMT st = s->stmts[id];
  return step_done(s, st, error, "%s", what);
}

/* Multi-statement writes are atomic on their own: outside a caller's transaction they open one,
 * inside it they use a savepoint, so a failure undoes only their own rows. */
static bool op_begin(HwStore *s, bool *ret_own, GError **error)
{
  bool own = sqlite3_get_autocommit(s->db) != 0;
  if (!run(s, own ? ST_BEGIN : ST_SAVEPOINT, error, "starting a write"))
    return false;
  *ret_own = own;
  return true;
}

static bool op_commit(HwStore *s, bool own, GError **error)
{
  if (run(s, own ? ST_COMMIT : ST_RELEASE, error, "committing a write"))
    return true;
  if (own && !sqlite3_get_autocommit(s->db))
    run(s, ST_ROLLBACK, NULL, "rolling back");
  return false;
}

static void op_rollback(HwStore *s, bool own)
{
  if (own) {
    if (!sqlite3_get_autocommit(s->db))
      run(s, ST_ROLLBACK, NULL, "rolling back");
  } else {
    run(s, ST_ROLLBACK_TO, NULL, "rolling back to savepoint");
    run(s, ST_RELEASE, NULL, "releasing savepoint");
  }
}

static void row_to_file(sqlite3_stmt *st, HwStoreFile *f)
{
  memset(f, 0, sizeof *f);
  f->id = sqlite3_column_int64(st, 0);
  copy_text(f->camera, sizeof f->camera, st, 1);
  copy_text(f->stream, sizeof f->stream, st, 2);
  copy_text(f->path, sizeof f->path, st, 3);
  copy_text(f->codec, sizeof f->codec, st, 4);
  copy_text(f->audio_codec, sizeof f->audio_codec, st, 5);
  f->width = sqlite3_column_int(st, 6);
  f->height = sqlite3_column_int(st, 7);
  f->start_ns = sqlite3_column_int64(st, 8);
  f->end_ns = sqlite3_column_int64(st, 9);
  f->size = sqlite3_column_int64(st, 10);
  f->init_size = sqlite3_column_int64(st, 11);
  f->closed = sqlite3_column_int(st, 12) != 0;
  copy_text(f->sha256, sizeof f->sha256, st, 13);
  copy_text(f->clock_mode, sizeof f->clock_mode, st, 14);
  f->clock_offset_ns = sqlite3_column_int64(st, 15);
  f->run_id = sqlite3_column_int64(st, 16);
}

static void row_to_fragment(sqlite3_stmt *st, HwStoreFragment *g)
{
  memset(g, 0, sizeof *g);
  g->file_id = sqlite3_column_int64(st, 0);
  g->seq = sqlite3_column_int(st, 1);
  g->offset = sqlite3_column_int64(st, 2);
  g->length = sqlite3_column_int64(st, 3);
  g->start_ns = sqlite3_column_int64(st, 4);
  g->duration_ns = sqlite3_column_int64(st, 5);
  g->frames = sqlite3_column_int(st, 6);
  g->keyframe_start = sqlite3_column_int(st, 7) != 0;
}

static void row_to_outage(sqlite3_stmt *st, HwStoreOutage *o)
{
  memset(o, 0, sizeof *o);
  o->id = sqlite3_column_int64(st, 0);
  copy_text(o->camera, sizeof o->camera, st, 1);
  copy_text(o->stream, sizeof o->stream, st, 2);
  o->start_ns = sqlite3_column_int64(st, 3);
  o->end_ns = sqlite3_column_int64(st, 4);
  copy_text(o->reason, sizeof o->reason, st, 5);
  copy_text(o->detail, sizeof o->detail, st, 6);
}

typedef void (*RowFn)(sqlite3_stmt *st, void *item);

/* Steps st to the end, converting each row into a new element of an array of item_size items.
 * Returns the array, or NULL with error set. */
static GArray *collect(HwStore *s, sqlite3_stmt *st, size_t item_size, RowFn fn, GError **error,
                       const char *what)
{
  g_autoptr(GArray) items = g_array_new(FALSE, TRUE, (guint)item_size);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    g_array_set_size(items, items->len + 1);
    fn(st, items->data + (size_t)(items->len - 1) * item_size);
  }
  if (rc != SQLITE_DONE) {
    set_error(error, s->db, HW_STORE_ERROR_SQL, "%s", what);
    return NULL;
  }
  return g_steal_pointer(&items);
}

/* Hands a collected array to the caller's out-parameters: *ret (g_free) and *ret_n. */
#define HAND_OVER(items, ret, ret_n)                                                               \
  do {                                                                                             \
    if ((items) == NULL)                                                                           \
      return false;                                                                                \
    *(ret_n) = (items)->len;                                                                       \
    *(ret) = (void *)g_array_free((items), FALSE);                                                 \
    return true;                                                                                   \
  } while (0)

/* ---- open, migrations, close ------------------------------------------------------------------
 */

static bool exec(sqlite3 *db, int code, const char *sql, GError **error, const char *what)
{
  char *msg = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
    return true;
  g_set_error(error, HW_STORE_ERROR, code, "%s: %s", what, msg != NULL ? msg : sqlite3_errmsg(db));
  sqlite3_free(msg);
  return false;
}

/* Runs a PRAGMA (or any query) whose first column of the first row is wanted as text. */
static bool query_text(sqlite3 *db, int code, const char *sql, char **ret, GError **error,
                       const char *what)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
    set_error(error, db, code, "%s", what);
    return false;
  }
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    set_error(error, db, code, "%s", what);
    sqlite3_finalize(st);
    return false;
  }
  const unsigned char *t = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
  *ret = g_strdup(t != NULL ? (const char *)t : "");
  sqlite3_finalize(st);
  return true;
}

static bool read_user_version(sqlite3 *db, int code, int *ret, GError **error)
{
  g_autofree char *v = NULL;
  if (!query_text(db, code, "PRAGMA user_version", &v, error, "reading the schema version"))
    return false;
  *ret = (int)g_ascii_strtoll(v, NULL, 10);
  return true;
}

static void set_too_new(GError **error, const char *path, int version, size_t known)
{
  g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_TOO_NEW,
              "database %s has schema version %d but this hallwatchd knows up to %zu; upgrade "
              "hallwatchd or restore a backup",
              path, version, known);
}

/* Applies one migration in its own transaction. Foreign keys are off during migrations (the
 * usual SQLite recipe for table rebuilds), so they are checked explicitly before the commit. */
static bool apply_migration(sqlite3 *db, const HwStoreMigration *m, int version, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autofree char *set_version = g_strdup_printf("PRAGMA user_version = %d", version);
  g_autofree char *violation = NULL;

  if (!exec(db, HW_STORE_ERROR_MIGRATION, m->sql, &local, "running it"))
    goto fail;
  if (!query_text(db, HW_STORE_ERROR_MIGRATION, "PRAGMA foreign_key_check", &violation, &local,
                  "checking foreign keys"))
    goto fail;
  if (violation[0] != '\0') {
    g_set_error(&local, HW_STORE_ERROR, HW_STORE_ERROR_MIGRATION,
                "it leaves rows of table %s that break a foreign key", violation);
    goto fail;
  }
  if (!exec(db, HW_STORE_ERROR_MIGRATION, set_version, &local, "setting the schema version"))
    goto fail;
  if (!exec(db, HW_STORE_ERROR_MIGRATION, "COMMIT", &local, "committing"))
    goto fail;
  return true;

  /* ERRORS */
fail:
  if (!sqlite3_get_autocommit(db))
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
  g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_MIGRATION,
              "migration %s failed (nothing of it was applied): %s", m->name, local->message);
  return false;
}

/* Brings the schema to n_migrations. The version is re-read inside each write transaction, so
 * two processes opening the same file at once apply each migration exactly once. */
static bool migrate(sqlite3 *db, const char *path, const HwStoreMigration *migrations,
                    size_t n_migrations, int *ret_version, GError **error)
{
  int version;
  if (!read_user_version(db, HW_STORE_ERROR_OPEN, &version, error))
    return false;
  while (version < 0 || (size_t)version != n_migrations) {
    if (version < 0 || (size_t)version > n_migrations) {
      set_too_new(error, path, version, n_migrations);
      return false;
    }
    if (!exec(db, HW_STORE_ERROR_MIGRATION, "BEGIN IMMEDIATE", error,
              "starting a migration transaction"))
      return false;
    if (!read_user_version(db, HW_STORE_ERROR_MIGRATION, &version, error)) {
      sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
      return false;
    }
    if (version < 0 || (size_t)version >= n_migrations) {
      sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
      continue; /* someone else migrated meanwhile; the loop condition decides */
    }
    if (!apply_migration(db, &migrations[version], version + 1, error))
      return false;
    version++;
  }
  *ret_version = version;
  return true;
}

static bool load_uuid(HwStore *s, GError **error)
{
  g_autofree char *fresh = g_uuid_string_random();
  g_autofree char *uuid = NULL;
  sqlite3_stmt *st = NULL;
  /* OR IGNORE: made once, when the file is new; kept forever after. */
  if (sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO meta (key, value) VALUES ('uuid', ?1)", -1,
                         &st, NULL) != SQLITE_OK) {
    set_error(error, s->db, HW_STORE_ERROR_OPEN, "creating the database UUID");
    return false;
  }
  sqlite3_bind_text(st, 1, fresh, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_DONE)
    set_error(error, s->db, HW_STORE_ERROR_OPEN, "creating the database UUID");
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE)
    return false;
  if (!query_text(s->db, HW_STORE_ERROR_OPEN, "SELECT value FROM meta WHERE key = 'uuid'", &uuid,
                  error, "reading the database UUID"))
    return false;
  if (!g_uuid_string_is_valid(uuid)) {
    g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_OPEN, "its UUID \"%s\" is not a UUID", uuid);
    return false;
  }
  g_strlcpy(s->uuid, uuid, sizeof s->uuid);
  return true;
}

static void finalize_stmt(gpointer st)
{
  sqlite3_finalize(st);
}

HwStore *hw_store_open_with_migrations(const char *path, const HwStoreMigration *migrations,
                                       size_t n_migrations, GError **error)
{
  g_return_val_if_fail(path != NULL, NULL);
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);

  g_autoptr(HwStore) s = g_new0(HwStore, 1);
  g_autofree char *journal = NULL;
  g_autofree char *fk = NULL;
  g_autoptr(GError) local = NULL;
  g_rec_mutex_init(&s->lock);
  s->path = g_strdup(path);
  s->module_stmts = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, finalize_stmt);

  /* NOMUTEX: the handle's own mutex already serialises every use of the connection. */
  int rc = sqlite3_open_v2(path, &s->db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK) {
    g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_OPEN, "cannot open database %s: %s", path,
                s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
    return NULL;
  }
  sqlite3_busy_timeout(s->db, HW_STORE_BUSY_TIMEOUT_MS);

  /* The first statement that reads the file: a file that is not a database fails here. */
  if (!query_text(s->db, HW_STORE_ERROR_OPEN, "PRAGMA journal_mode = WAL", &journal, &local,
                  "setting WAL mode"))
    goto fail;
  if (g_ascii_strcasecmp(journal, "wal") != 0) {
    g_set_error(&local, HW_STORE_ERROR, HW_STORE_ERROR_OPEN,
                "WAL mode refused (journal mode stays \"%s\"; is the file system local?)", journal);
    goto fail;
  }
  /* FULL, not NORMAL: under WAL, NORMAL may lose the last commits on power loss (not on a crash).
   * The recorder fsyncs footage before committing its index, and holds are promises made to
   * investigators; a commit that returned must survive, or a hold vanishes and its footage is
   * deleted. The cost is one WAL fsync per commit, and the index thread commits in batches. */
  if (!exec(s->db, HW_STORE_ERROR_OPEN, "PRAGMA synchronous = FULL", &local,
            "setting synchronous mode") ||
      !exec(s->db, HW_STORE_ERROR_OPEN, "PRAGMA foreign_keys = OFF", &local,
            "turning foreign keys off for migrations"))
    goto fail;
  if (!migrate(s->db, path, migrations, n_migrations, &s->schema_version, &local))
    goto fail;
  if (!exec(s->db, HW_STORE_ERROR_OPEN, "PRAGMA foreign_keys = ON", &local,
            "turning foreign keys on") ||
      !query_text(s->db, HW_STORE_ERROR_OPEN, "PRAGMA foreign_keys", &fk, &local,
                  "checking foreign keys"))
    goto fail;
  if (strcmp(fk, "1") != 0) {
    g_set_error(&local, HW_STORE_ERROR, HW_STORE_ERROR_OPEN,
                "foreign keys cannot be turned on (SQLite built without them?)");
    goto fail;
  }
  if (!load_uuid(s, &local))
    goto fail;

  for (int i = 0; i < ST_COUNT; i++) {
    if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->stmts[i], NULL) !=
        SQLITE_OK) {
      set_error(&local, s->db, HW_STORE_ERROR_OPEN, "preparing statement \"%s\"", stmt_sql[i]);
      goto fail;
    }
  }
  return g_steal_pointer(&s);

  /* ERRORS */
fail:
  if (local->code == HW_STORE_ERROR_TOO_NEW)
    g_propagate_error(error, g_steal_pointer(&local)); /* names the path already */
  else
    g_set_error(error, HW_STORE_ERROR, local->code, "database %s: %s", path, local->message);
  return NULL;
}

HwStore *hw_store_open(const char *path, GError **error)
{
  return hw_store_open_with_migrations(path, hw_store_migrations, hw_store_n_migrations, error);
}

void hw_store_close(HwStore *store)
{
  if (store == NULL)
    return;
  for (int i = 0; i < ST_COUNT; i++)
    sqlite3_finalize(store->stmts[i]);
  /* The other sql/ files' statements go too, or the connection could not really close. */
  g_clear_pointer(&store->module_stmts, g_hash_table_destroy);
  if (store->db != NULL) {
    /* Keeps the query planner's statistics fresh, as SQLite recommends at close. */
    if (store->stmts[ST_COUNT - 1] != NULL) /* only after a complete open */
      sqlite3_exec(store->db, "PRAGMA optimize", NULL, NULL, NULL);
    sqlite3_close_v2(store->db);
  }
  g_rec_mutex_clear(&store->lock);
  g_free(store->path);
  g_free(store);
}

int hw_store_schema_version_known(void)
{
  return (int)hw_store_n_migrations;
}

int hw_store_schema_version(HwStore *store)
{
  g_return_val_if_fail(store != NULL, -1);
  return store->schema_version;
}

const char *hw_store_uuid(HwStore *store)
{
  g_return_val_if_fail(store != NULL, NULL);
  return store->uuid;
}

/* ---- for the other sql/ files (hw_store_private.h) ---------------------------------------------
 */

sqlite3 *hw_store__db(HwStore *store)
{
  return store->db;
}

GRecMutex *hw_store__lock(HwStore *store)
{
  return &store->lock;
}

sqlite3_stmt *hw_store__stmt(HwStore *store, const char *sql, GError **error)
{
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new(&store->lock);
  sqlite3_stmt *st = g_hash_table_lookup(store->module_stmts, sql);
  if (st != NULL)
    return st;
  if (sqlite3_prepare_v3(store->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
    set_error(error, store->db, HW_STORE_ERROR_SQL, "preparing statement \"%s\"", sql);
    sqlite3_finalize(st);
    return NULL;
  }
  g_hash_table_insert(store->module_stmts, (gpointer)sql, st);
  return st;
}

bool hw_store__op_begin(HwStore *store, bool *ret_own, GError **error)
{
  return op_begin(store, ret_own, error);
}

bool hw_store__op_commit(HwStore *store, bool own, GError **error)
{
  return op_commit(store, own, error);
}

void hw_store__op_rollback(HwStore *store, bool own)
{
  op_rollback(store, own);
}

/* ---- transactions ------------------------------------------------------------------------------
 */

bool hw_store_begin(HwStore *store, GError **error)
{
  g_return_val_if_fail(store != NULL, false);
  g_rec_mutex_lock(&store->lock);
  if (store->in_tx) {
    g_rec_mutex_unlock(&store->lock);
    g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_INVALID,
                "starting a transaction: this thread already has one open");
    return false;
  }
  if (!run(store, ST_BEGIN, error, "starting a transaction")) {
    g_rec_mutex_unlock(&store->lock);
    return false;
  }
  store->in_tx = true;
  return true; /* the lock stays held until commit or rollback */
}

bool hw_store_commit(HwStore *store, GError **error)
{
  g_return_val_if_fail(store != NULL, false);
  g_rec_mutex_lock(&store->lock);
  if (!store->in_tx) {
    g_rec_mutex_unlock(&store->lock);
    g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_INVALID,
                "committing: no transaction is open (hw_store_begin first)");
    return false;
  }
  bool ok = run(store, ST_COMMIT, error, "committing the transaction");
  if (!ok && !sqlite3_get_autocommit(store->db))
    run(store, ST_ROLLBACK, NULL, "rolling back");
  store->in_tx = false;
  g_rec_mutex_unlock(&store->lock); /* this call's */
  g_rec_mutex_unlock(&store->lock); /* hw_store_begin's */
  return ok;
}

void hw_store_rollback(HwStore *store)
{
  g_return_if_fail(store != NULL);
  g_rec_mutex_lock(&store->lock);
  if (store->in_tx) {
    if (!sqlite3_get_autocommit(store->db))
      run(store, ST_ROLLBACK, NULL, "rolling back");
    store->in_tx = false;
    g_rec_mutex_unlock(&store->lock);
  }
  g_rec_mutex_unlock(&store->lock);
}

/* ---- recording index ---------------------------------------------------------------------------
 */

bool hw_store_file_insert(HwStore *store, const HwStoreFile *file, int64_t *ret_id, GError **error)
{
  g_return_val_if_fail(store != NULL && file != NULL, false);
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new(&store->lock);
  AUTO_STMT st = store->stmts[ST_FILE_INSERT];

  bind_text_n(st, 1, file->camera, sizeof file->camera);
  bind_text_n(st, 2, file->stream, sizeof file->stream);
  bind_text_n(st, 3, file->path, sizeof file->path);
  bind_text_n(st, 4, file->codec, sizeof file->codec);
  bind_text_n(st, 5, file->audio_codec, sizeof file->audio_codec);
  sqlite3_bind_int(st, 6, file->width);
  sqlite3_bind_int(st, 7, file->height);
  sqlite3_bind_int64(st, 8, file->start_ns);
  sqlite3_bind_int64(st, 9, file->end_ns);
  sqlite3_bind_int64(st, 10, file->size);
  sqlite3_bind_int64(st, 11, file->init_size);
  sqlite3_bind_int(st, 12, file->closed ? 1 : 0);
  bind_text_n(st, 13, file->sha256, sizeof file->sha256);
  bind_text_n(st, 14, file->clock_mode, sizeof file->clock_mode);
  sqlite3_bind_int64(st, 15, file->clock_offset_ns);
  sqlite3_bind_int64(st, 16, file->run_id);
  if (!step_done(store, st, error, "inserting file %.*s", (int)sizeof file->path, file->path))
    return false;
  if (ret_id != NULL)
    *ret_id = sqlite3_last_insert_rowid(store->db);
  return true;
}

static bool fragments_insert(HwStore *store, const HwStoreFragment *frags, size_t n, GError **error)
{
  int64_t file_id = frags[0].file_id;
  int64_t next_seq, size = 0;
  hw_time_ns end = 0;
  {
    AUTO_STMT st = store->stmts[ST_FILE_NEXT_SEQ];
    sqlite3_bind_int64(st, 1, file_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
      g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND,
                  "appending fragments: no file with id %" G_GINT64_FORMAT, file_id);
      return false;
    }
    if (rc != SQLITE_ROW) {
      set_error(error, store->db, HW_STORE_ERROR_SQL,
                "appending fragments: reading file %" G_GINT64_FORMAT, file_id);
      return false;
    }
    next_seq = sqlite3_column_int64(st, 0);
  }
  AUTO_STMT st = store->stmts[ST_FRAGMENT_INSERT];
  for (size_t i = 0; i < n; i++, next_seq++) {
    const HwStoreFragment *g = &frags[i];
    if (g->file_id != file_id) {
      g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_INVALID,
                  "appending fragments: one call mixes files %" G_GINT64_FORMAT
                  " and %" G_GINT64_FORMAT,
                  file_id, g->file_id);
      return false;
    }
    if (g->seq != next_seq) {
      g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_INVALID,
                  "appending fragment %d of file %" G_GINT64_FORMAT
                  ": %s (expected seq %" G_GINT64_FORMAT ")",
                  (int)g->seq, file_id, g->seq < next_seq ? "already stored" : "out of order",
                  next_seq);
      return false;
    }
    sqlite3_bind_int64(st, 1, g->file_id);
    sqlite3_bind_int(st, 2, g->seq);
    sqlite3_bind_int64(st, 3, g->offset);
    sqlite3_bind_int64(st, 4, g->length);
    sqlite3_bind_int64(st, 5, g->start_ns);
    sqlite3_bind_int64(st, 6, g->duration_ns);
    sqlite3_bind_int(st, 7, g->frames);
    sqlite3_bind_int(st, 8, g->keyframe_start ? 1 : 0);
    if (!step_done(store, st, error, "appending fragment %d of file %" G_GINT64_FORMAT, (int)g->seq,
                   file_id))
      return false;
    sqlite3_reset(st);
    size = MAX(size, g->offset + g->length);
    end = MAX(end, g->start_ns + g->duration_ns);
  }
  AUTO_STMT ext = store->stmts[ST_FILE_EXTEND];
  sqlite3_bind_int64(ext, 1, file_id);
  sqlite3_bind_int64(ext, 2, size);
  sqlite3_bind_int64(ext, 3, end);
  return step_done(store, ext, error, "moving the end of file %" G_GINT64_FORMAT " forward",
                   file_id);
}

bool hw_store_fragments_append(HwStore *store, const HwStoreFragment *frags, size_t n,
                               GError **error)
{
  g_return_val_if_fail(store != NULL && (frags != NULL || n == 0), false);
  if (n == 0)
    return true;
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new(&store->lock);
  bool own;
  if (!op_begin(store, &own, error))
    return false;
  if (!fragments_insert(store, frags, n, error)) {
    op_rollback(store, own);
    return false;
  }
  return op_commit(store, own, error);
}

/* Runs a one-row UPDATE/DELETE keyed by id; no row changed is HW_STORE_ERROR_NOT_FOUND. */
static bool change_one(HwStore *store, sqlite3_stmt *st, int64_t id, GError **error,
                       const char *what, const char *missing)
{
  if (!step_done(store, st, error, "%s %" G_GINT64_FORMAT, what, id))
    return false;
  if (sqlite3_changes(store->db) == 0) {
    g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND, "%s %" G_GINT64_FORMAT ": %s",
                what, id, missing);
    return false;
  }
  return true;
}

bool hw_store_file_close(HwStore *store, int64_t file_id, int64_t size, hw_time_ns end_ns,
                         const char *sha256_hex, GError **error)
{
  g_return_val_if_fail(store != NULL && sha256_hex != NULL, false);
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new(&store->lock);
  AUTO_STMT st = store->stmts[ST_FILE_CLOSE];
  sqlite3_bind_int64(st, 1, file_id);
  sqlite3_bind_int64(st, 2, size);
  sqlite3_bind_int64(st, 3, end_ns);
  sqlite3_bind_text(st, 4, sha256_hex, -1, SQLITE_STATIC);
  return change_one(store, st, file_id, error, "closing file", "no such file");
}

static bool file_get(HwStore *store, StmtId id, int64_t file_id, const char *path, HwStoreFile *ret,
                     GError **error)
{
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new(&store->lock);
  AUTO_STMT st = store->stmts[id];
  if (path != NULL)
    sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
  else
    sqlite3_bind_int64(st, 1, file_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    row_to_file(st, ret);
    return true;
  }
  if (rc == SQLITE_DONE) {
    if (path != NULL)
      g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND, "no file with path %s", path);
    else
      g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND,
                  "no file with id %" G_GINT64_FORMAT, file_id);
    return false;
  }
  if (path != NULL)
    set_error(error, store->db, HW_STORE_ERROR_SQL, "looking up file %s", path);
  else
    set_error(error, store->db, HW_STORE_ERROR_SQL, "looking up file %" G_GINT64_FORMAT, file_id);
  return false;
}

bool hw_store_file_get(HwStore *store, int64_t file_id, HwStoreFile *ret, GError **error)
{
  g_return_val_if_fail(store != NULL && ret != NULL, false);
  return file_get(store, ST_FILE_GET, file_id, NULL, ret, error);
}

bool hw_store_file_get_by_path(HwStore *store, const char *path, HwStoreFile *ret, GError **error)
{
  g_return_val_if_fail(store != NULL && path != NULL && ret != NULL, false);
  return file_get(store, ST_FILE_GET_BY_PATH, 0, path, ret, error);
}

bool hw_store_file_delete(HwStore *store, int64_t file_id, GError **error)
{
  g_return_val_if_fail(store != NULL, false);
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new(&store->lock);
  AUTO_STMT st = store->stmts[ST_FILE_DELETE];
  sqlite3_bind_int64(st, 1, file_id);
  /* The fragments go with it: ON DELETE CASCADE, in the same statement. */
  return change_one(store, st, file_id, error, "deleting file", "no such file");
}

bool hw_store_file_expire(HwStore *store, int64_t file_id, GError **error)
{
  g_return_val_if_fail(store != NULL, false);
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new(&store->lock);
  /* Prepared on first use, not at open (footage_totals.expired_until_ns is migration 0014). */
  static const char sql[] =
      "UPDATE footage_totals SET expired_until_ns = max(expired_until_ns, f.end_ns)"
      " FROM (SELECT camera, end_ns FROM files WHERE id = ?1) AS f"
      " WHERE footage_totals.camera = f.camera";
  bool own;
  if (!op_begin(store, &own, error))
    return false;
  sqlite3_stmt *prepared = hw_store__stmt(store, sql, error);
  if (prepared == NULL) {
    op_rollback(store, own);
    return false;
  }
  AUTO_STMT mark = prepared;
  sqlite3_bind_int64(mark, 1, file_id);
  if (!step_done(store, mark, error, "marking the footage of file %" G_GINT64_FORMAT " expired",
                 file_id) ||
      !hw_store_file_delete(store, file_id, error)) {
    op_rollback(store, own);
    return false;
  }
  return op_commit(store, own, error);
}

bool hw_store_expired_until(HwStore *store, const char *camera, hw_time_ns *ret, GError **error)
{
  g_return_val_if_fail(store != NULL && camera != NULL && ret != NULL, false);
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new(&store->lock);
  sqlite3_stmt *prepared = hw_store__stmt(
      store,
      "SELECT coalesce((SELECT expired_until_ns FROM footage_totals WHERE camera = ?1), 0)",
      error);
  if (prepared == NULL)
    return false;
  AUTO_STMT st = prepared;
  sqlite3_bind_text(st, 1, camera, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_ROW) {
    set_error(error, store->db, HW_STORE_ERROR_SQL, "reading where the footage of %s expired",
              camera);
    return false;
  }
  *ret = sqlite3_column_int64(st, 0);
  return true;
}

bool hw_store_file_truncate(HwStore *store, int64_t file_id, int32_t n_fragments, int64_t size,
                            hw_time_ns end_ns, GError **error)
{
  g_return_val_if_fail(store != NULL, false);
  if (n_fragments < 0) {
    g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_INVALID,
                "truncating file %" G_GINT64_FORMAT ": negative fragment count %d", file_id,
                (int)n_fragments);
    return false;
  }
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new(&store->lock);
  bool own;
  if (!op_begin(store, &own, error))
    return false;
  {
    AUTO_STMT st = store->stmts[ST_FILE_SET_END];
    sqlite3_bind_int64(st, 1, file_id);
    sqlite3_bind_int64(st, 2, size);
    sqlite3_bind_int64(st, 3, end_ns);
    if (!change_one(store, st, file_id, error, "truncating file", "no such file"))
      goto fail;
  }
  {
    AUTO_STMT st = store->stmts[ST_FRAGMENTS_CUT];
    sqlite3_bind_int64(st, 1, file_id);
    sqlite3_bind_int(st, 2, n_fragments);
    if (!step_done(store, st, error, "cutting the fragments of file %" G_GINT64_FORMAT, file_id))
      goto fail;
  }
  return op_commit(store, own, error);

  /* ERRORS */
fail:
  op_rollback(store, own);
  return false;
}

bool hw_store_files_foreach(HwStore *store, bool open_only, HwStoreFileFn fn, void *user,
                            GError **error)
{
  g_return_val_if_fail(store != NULL && fn != NULL, false);
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new(&store->lock);
  AUTO_STMT st = store->stmts[open_only ? ST_FILES_OPEN : ST_FILES_ALL];
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    HwStoreFile f;
    row_to_file(st, &f);
    if (!fn(&f, user))
      return false;
  }
  if (rc != SQLITE_DONE) {
    set_error(error, store->db, HW_STORE_ERROR_SQL, "listing %s files", open_only ? "open" : "all");
    return false;
  }
  return true;
}

static void fragment_row(sqlite3_stmt *st, void *item)
{
  row_to_fragment(st, item);
}

static void file_row(sqlite3_stmt *st, void *item)
{
  row_to_file(st, item);
}

static void outage_row(sqlite3_stmt *st, void *item)
{
  row_to_outage(st, item);
}

bool hw_store_fragments_of_file(HwStore *store, int64_t file_id, HwStoreFragment **ret,
                                size_t *ret_n, GError **error)
{
  g_return_val_if_fail(store != NULL && ret != NULL && ret_n != NULL, false);
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new(&store->lock);
  AUTO_STMT st = store->stmts[ST_FRAGMENTS_OF_FILE];
  sqlite3_bind_int64(st, 1, file_id);
  GArray *items = collect(store, st, sizeof(HwStoreFragment), fragment_row, error,
                          "listing the fragments of a file");
  HAND_OVER(items, ret, ret_n);
}

bool hw_store_files_in_range(HwStore *store, const char *camera, const char *stream,
                             hw_time_ns from, hw_time_ns to, HwStoreFile **ret, size_t *ret_n,
                             GError **error)
{
  g_return_val_if_fail(store != NULL && camera != NULL && stream != NULL, false);
  g_return_val_if_fail(ret != NULL && ret_n != NULL, false);
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new(&store->lock);
  AUTO_STMT st = store->stmts[ST_FILES_IN_RANGE];
  sqlite3_bind_text(st, 1, camera, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, stream, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, from);
  sqlite3_bind_int64(st, 4, to);
  GArray *items =
      collect(store, st, sizeof(HwStoreFile), file_row, error, "listing files in a time range");
  HAND_OVER(items, ret, ret_n);
}

bool hw_store_last_end(HwStore *store, const char *camera, const char *stream, hw_time_ns *ret_end,
                       GError **error)
{
  g_return_val_if_fail(store != NULL && camera != NULL && stream != NULL && ret_end != NULL, false);
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new(&store->lock);
  AUTO_STMT st = store->stmts[ST_LAST_END];
  sqlite3_bind_text(st, 1, camera, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, stream, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_ROW) {
    set_error(error, store->db, HW_STORE_ERROR_SQL, "reading the end of %s/%s", camera, stream);
    return false;
  }
  *ret_end = sqlite3_column_int64(st, 0);
  return true;
}

bool hw_store_next_run_id(HwStore *store, int64_t *ret, GError **error)
{
  g_return_val_if_fail(store != NULL && ret != NULL, false);
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new(&store->lock);
  AUTO_STMT st = store->stmts[ST_NEXT_RUN_ID];
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    if (rc == SQLITE_DONE)
      g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_SQL,
                  "making a run id: the meta row last_run_id is missing");
    else
      set_error(error, store->db, HW_STORE_ERROR_SQL, "making a run id");
    return false;
  }
  int64_t id = sqlite3_column_int64(st, 0);
  /* RETURNING applies the change on the first step; finishing the statement commits it. */
  if (!step_done(store, st, error, "making a run id"))
    return false;
  *ret = id;
  return true;
}

/* ---- outages -----------------------------------------------------------------------------------
 */

static const char *const outage_names[] = {
    [HW_OUTAGE_CAMERA_UNREACHABLE] = "camera_unreachable",
    [HW_OUTAGE_AUTH_REFUSED] = "auth_refused",
    [HW_OUTAGE_STREAM_STALLED] = "stream_stalled",
    [HW_OUTAGE_STREAM_ERROR] = "stream_error",
    [HW_OUTAGE_DAEMON_DOWN] = "daemon_down",
    [HW_OUTAGE_DISK_FLOOR] = "disk_floor",
    [HW_OUTAGE_CLOCK_STEP] = "clock_step",
    [HW_OUTAGE_STORAGE_ERROR] = "storage_error",
};

const char *hw_outage_reason_name(HwOutageReason reason)
{
  if ((unsigned)reason >= G_N_ELEMENTS(outage_names))
    return NULL;
  return outage_names[reason];
}

bool hw_store_outage_open(HwStore *store, const char *camera, const char *stream,
                          hw_time_ns start_ns, HwOutageReason reason, const char *detail,
                          int64_t *ret_id, GError **error)
{
  g_return_val_if_fail(store != NULL && camera != NULL && stream != NULL, false);
  const char *name = hw_outage_reason_name(reason);
  if (name == NULL) {
    g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_INVALID,
                "opening an outage of %s/%s: unknown reason %d", camera, stream, (int)reason);
    return false;
  }
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new(&store->lock);
  AUTO_STMT st = store->stmts[ST_OUTAGE_OPEN];
  sqlite3_bind_text(st, 1, camera, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, stream, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, start_ns);
  sqlite3_bind_text(st, 4, name, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 5, detail != NULL ? detail : "", -1, SQLITE_STATIC);
  if (!step_done(store, st, error, "opening an outage of %s/%s", camera, stream))
    return false;
  if (ret_id != NULL)
    *ret_id = sqlite3_last_insert_rowid(store->db);
  return true;
}

bool hw_store_outage_close(HwStore *store, int64_t outage_id, hw_time_ns end_ns, GError **error)
{
  g_return_val_if_fail(store != NULL, false);
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new(&store->lock);
  AUTO_STMT st = store->stmts[ST_OUTAGE_CLOSE];
  sqlite3_bind_int64(st, 1, outage_id);
  sqlite3_bind_int64(st, 2, end_ns);
  return change_one(store, st, outage_id, error, "closing outage", "no open outage with this id");
}

bool hw_store_outage_close_all_open(HwStore *store, hw_time_ns end_ns, GError **error)
{
  g_return_val_if_fail(store != NULL, false);
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new(&store->lock);
  AUTO_STMT st = store->stmts[ST_OUTAGE_CLOSE_ALL];
  sqlite3_bind_int64(st, 1, end_ns);
  return step_done(store, st, error, "closing every open outage");
}

bool hw_store_outages_in_range(HwStore *store, const char *camera, const char *stream,
                               hw_time_ns from, hw_time_ns to, HwStoreOutage **ret, size_t *ret_n,
                               GError **error)
{
  g_return_val_if_fail(store != NULL && camera != NULL && stream != NULL, false);
  g_return_val_if_fail(ret != NULL && ret_n != NULL, false);
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new(&store->lock);
  AUTO_STMT st = store->stmts[ST_OUTAGES_IN_RANGE];
  sqlite3_bind_text(st, 1, camera, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, stream, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, from);
  sqlite3_bind_int64(st, 4, to);
  GArray *items = collect(store, st, sizeof(HwStoreOutage), outage_row, error,
                          "listing outages in a time range");
  HAND_OVER(items, ret, ret_n);
}

/* ---- holds and retention -----------------------------------------------------------------------
 */

bool hw_store_hold_add(HwStore *store, const HwStoreHold *hold, int64_t *ret_id, GError **error)
{
  g_return_val_if_fail(store != NULL && hold != NULL, false);
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new(&store->lock);
  AUTO_STMT st = store->stmts[ST_HOLD_ADD];
  bind_text_n(st, 1, hold->camera, sizeof hold->camera);
  sqlite3_bind_int64(st, 2, hold->from_ns);
  sqlite3_bind_int64(st, 3, hold->to_ns);
  bind_text_n(st, 4, hold->reason, sizeof hold->reason);
  sqlite3_bind_int64(st, 5, hold->until_ns);
  sqlite3_bind_int64(st, 6, hw_time_now());
  if (!step_done(store, st, error, "adding a hold on %.*s", (int)sizeof hold->camera, hold->camera))
    return false;
  if (ret_id != NULL)
    *ret_id = sqlite3_last_insert_rowid(store->db);
  return true;
}

bool hw_store_hold_release(HwStore *store, int64_t hold_id, GError **error)
{
  g_return_val_if_fail(store != NULL, false);
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new(&store->lock);
  AUTO_STMT st = store->stmts[ST_HOLD_RELEASE];
  sqlite3_bind_int64(st, 1, hold_id);
  sqlite3_bind_int64(st, 2, MAX(hw_time_now(), 1));
  return change_one(store, st, hold_id, error, "releasing hold", "no unreleased hold with this id");
}

bool hw_store_deletable_files(HwStore *store, const char *camera, hw_time_ns now, size_t max,
                              HwStoreFile **ret, size_t *ret_n, GError **error)
{
  g_return_val_if_fail(store != NULL && ret != NULL && ret_n != NULL, false);
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new(&store->lock);
  AUTO_STMT st = store->stmts[camera != NULL ? ST_DELETABLE_CAMERA : ST_DELETABLE_ALL];
  sqlite3_bind_int64(st, 1, now);
  sqlite3_bind_int64(st, 2, max > (size_t)INT64_MAX ? INT64_MAX : (int64_t)max);
  if (camera != NULL)
    sqlite3_bind_text(st, 3, camera, -1, SQLITE_STATIC);
  GArray *items =
      collect(store, st, sizeof(HwStoreFile), file_row, error, "listing deletable files");
  HAND_OVER(items, ret, ret_n);
}

bool hw_store_usage(HwStore *store, const char *camera, int64_t *ret_bytes, hw_time_ns *ret_oldest,
                    GError **error)
{
  g_return_val_if_fail(store != NULL, false);
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new(&store->lock);
  /* Bytes from the trigger-kept totals (migration 0012): a sum over every file row would read
   * them all on each retention check; the oldest start is one end of an index. Prepared on first
   * use, not at open, so that tests may open a database of an earlier version. */
  static const char all_sql[] = "SELECT coalesce((SELECT sum(bytes) FROM footage_totals), 0),"
                                " coalesce((SELECT min(start_ns) FROM files), 0)";
  static const char camera_sql[] =
      "SELECT coalesce((SELECT bytes FROM footage_totals WHERE camera = ?1), 0),"
      " coalesce((SELECT min(start_ns) FROM files WHERE camera = ?1), 0)";
  sqlite3_stmt *prepared = hw_store__stmt(store, camera != NULL ? camera_sql : all_sql, error);
  if (prepared == NULL)
    return false;
  AUTO_STMT st = prepared;
  if (camera != NULL)
    sqlite3_bind_text(st, 1, camera, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_ROW) {
    set_error(error, store->db, HW_STORE_ERROR_SQL, "summing the footage of %s",
              camera != NULL ? camera : "all cameras");
    return false;
  }
  if (ret_bytes != NULL)
    *ret_bytes = sqlite3_column_int64(st, 0);
  if (ret_oldest != NULL)
    *ret_oldest = sqlite3_column_int64(st, 1);
  return true;
}

/* ---- cameras -----------------------------------------------------------------------------------
 */

bool hw_store_camera_upsert(HwStore *store, const char *camera, const char *source, GError **error)
{
  g_return_val_if_fail(store != NULL && camera != NULL && source != NULL, false);
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new(&store->lock);
  AUTO_STMT st = store->stmts[ST_CAMERA_UPSERT];
  sqlite3_bind_text(st, 1, camera, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, source, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, hw_time_now());
  return step_done(store, st, error, "recording camera %s (source %s)", camera, source);
}
