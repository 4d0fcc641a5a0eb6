/* The store's audit part: appends to the audit log's hash chain (computing prev_hash and hash
 * inside the write transaction), queries it for auditors, walks it for verification, and keeps
 * the signed heads. The canonical row form is defined here and documented in hw_store.h. */
#include <sqlite3.h>
#include <string.h>

#include "sql/hw_store.h"
#include "sql/hw_store_private.h"

#define AUDIT_COLS                                                                                 \
  "seq, time_ns, actor, role, address, action, object_type, object_id, detail, prev_hash, hash"
#define HEAD_COLS "id, seq, head_hash, signed_at_ns, signature, public_key"

static const char SQL_HEAD[] = "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1";
static const char SQL_INSERT[] =
    "INSERT INTO audit_log (" AUDIT_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
/* One statement for every filter: a NULL (or 0) parameter does not filter. */
static const char SQL_QUERY[] =
    "SELECT " AUDIT_COLS " FROM audit_log WHERE seq > ?7"
    " AND (?1 = 0 OR time_ns >= ?1) AND (?2 = 0 OR time_ns < ?2)"
    " AND (?3 IS NULL OR actor = ?3)"
    " AND (?4 IS NULL OR action = ?4"
    "      OR (substr(?4, -1) = '.' AND substr(action, 1, length(?4)) = ?4))"
    " AND (?5 IS NULL OR object_type = ?5) AND (?6 IS NULL OR object_id = ?6)"
    " ORDER BY seq LIMIT ?8";
static const char SQL_FOREACH[] =
    "SELECT " AUDIT_COLS " FROM audit_log WHERE seq > ?1 ORDER BY seq";
static const char SQL_HEAD_ADD[] =
    "INSERT INTO audit_heads (seq, head_hash, signed_at_ns, signature, public_key)"
    " VALUES (?1, ?2, ?3, ?4, ?5)";
static const char SQL_HEADS[] = "SELECT " HEAD_COLS " FROM audit_heads ORDER BY seq, id";
static const char SQL_LAST_HEAD[] =
    "SELECT " HEAD_COLS " FROM audit_heads ORDER BY id DESC LIMIT 1";

/* ---- canonical form ------------------------------------------------------------------------ */

static void netstring(GString *out, const char *s)
{
  size_t n = strlen(s);
  g_string_append_printf(out, "%zu:", n);
  g_string_append_len(out, s, (gssize)n);
  g_string_append_c(out, ',');
}

static void netstring_int(GString *out, int64_t v)
{
  char buf[24];
  g_snprintf(buf, sizeof buf, "%" G_GINT64_FORMAT, v);
  netstring(out, buf);
}

/* fields: actor, role, address, action, object_type, object_id, detail (never NULL). */
static void row_hash(int64_t seq, hw_time_ns time_ns, const char *const fields[7],
                     const char *prev_hash, char ret_hash[65])
{
  g_autoptr(GString) c = g_string_sized_new(256);
  netstring(c, "hallwatch-audit-row-v1");
  netstring_int(c, seq);
  netstring_int(c, time_ns);
  for (int i = 0; i < 7; i++)
    netstring(c, fields[i]);
  netstring(c, prev_hash);
  g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
  g_checksum_update(sum, (const guchar *)c->str, (gssize)c->len);
  g_strlcpy(ret_hash, g_checksum_get_string(sum), 65);
}

void hw_store_audit_row_hash(const HwAuditRow *row, char ret_hash[65])
{
  const char *const fields[7] = {row->actor,       row->role,      row->address, row->action,
                                 row->object_type, row->object_id, row->detail};
  row_hash(row->seq, row->time_ns, fields, row->prev_hash, ret_hash);
}

/* ---- helpers --------------------------------------------------------------------------------- */

/* Takes the handle's lock (released with g_rec_mutex_unlock(hw_store__lock(store))). */
static sqlite3 *audit_lock(HwStore *store)
{
  g_rec_mutex_lock(hw_store__lock(store));
  return hw_store__db(store);
}

static void set_sql_error(GError **error, sqlite3 *db, const char *what)
{
  g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_SQL, "%s: %s", what, sqlite3_errmsg(db));
}

static void reset(sqlite3_stmt *st)
{
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
}

static void copy_col(char *dst, size_t len, sqlite3_stmt *st, int col)
{
  const unsigned char *s = sqlite3_column_text(st, col);
  g_strlcpy(dst, s != NULL ? (const char *)s : "", len);
}

static void row_from(sqlite3_stmt *st, HwAuditRow *r)
{
  r->seq = sqlite3_column_int64(st, 0);
  r->time_ns = sqlite3_column_int64(st, 1);
  copy_col(r->actor, sizeof r->actor, st, 2);
  copy_col(r->role, sizeof r->role, st, 3);
  copy_col(r->address, sizeof r->address, st, 4);
  copy_col(r->action, sizeof r->action, st, 5);
  copy_col(r->object_type, sizeof r->object_type, st, 6);
  copy_col(r->object_id, sizeof r->object_id, st, 7);
  copy_col(r->detail, sizeof r->detail, st, 8);
  copy_col(r->prev_hash, sizeof r->prev_hash, st, 9);
  copy_col(r->hash, sizeof r->hash, st, 10);
}

/* Checks what a person would get wrong, with a message naming the field; the schema's
 * constraints back it up (action syntax, JSON validity). */
static bool check_event(const HwAuditEvent *ev, GError **error)
{
  static const struct {
    const char *name;
    size_t offset, max;
  } limits[] = {
      {"actor", offsetof(HwAuditEvent, actor), 127},
      {"role", offsetof(HwAuditEvent, role), 31},
      {"address", offsetof(HwAuditEvent, address), 63},
      {"action", offsetof(HwAuditEvent, action), 63},
      {"object_type", offsetof(HwAuditEvent, object_type), 31},
      {"object_id", offsetof(HwAuditEvent, object_id), 127},
      {"detail", offsetof(HwAuditEvent, detail), 4095},
  };
  if (ev->actor == NULL || ev->actor[0] == '\0' || ev->action == NULL || ev->action[0] == '\0') {
    g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_INVALID,
                "an audit event needs an actor and an action");
    return false;
  }
  for (size_t i = 0; i < G_N_ELEMENTS(limits); i++) {
    const char *v = *(const char *const *)((const char *)ev + limits[i].offset);
    if (v != NULL && strlen(v) > limits[i].max) {
      g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_INVALID,
                  "audit event %s: %s is longer than %zu bytes", ev->action, limits[i].name,
                  limits[i].max);
      return false;
    }
  }
  return true;
}

static bool read_head(HwStore *store, sqlite3 *db, int64_t *ret_seq, char ret_hash[65],
                      GError **error)
{
  sqlite3_stmt *st = hw_store__stmt(store, SQL_HEAD, error);
  if (st == NULL)
    return false;
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    *ret_seq = sqlite3_column_int64(st, 0);
    copy_col(ret_hash, 65, st, 1);
  } else if (rc == SQLITE_DONE) {
    *ret_seq = 0;
    g_strlcpy(ret_hash, HW_AUDIT_ZERO_HASH, 65);
  } else {
    set_sql_error(error, db, "reading the audit log's head");
  }
  reset(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE;
}

/* ---- append ---------------------------------------------------------------------------------- */

bool hw_store_audit_append_many(HwStore *store, const HwAuditEvent *evs, size_t n, int64_t *ret_seq,
                                GError **error)
{
  g_return_val_if_fail(store != NULL, false);
  g_return_val_if_fail(evs != NULL || n == 0, false);
  for (size_t i = 0; i < n; i++)
    if (!check_event(&evs[i], error))
      return false;
  if (n == 0)
    return true;

  sqlite3 *db = audit_lock(store);
  bool own = false, ok = false;
  int64_t seq = 0;
  char prev[65];
  sqlite3_stmt *ins = hw_store__stmt(store, SQL_INSERT, error);
  if (ins == NULL || !hw_store__op_begin(store, &own, error))
    goto out;
  if (!read_head(store, db, &seq, prev, error))
    goto rollback;
  for (size_t i = 0; i < n; i++) {
    const HwAuditEvent *ev = &evs[i];
    const char *const fields[7] = {ev->actor,
                                   ev->role ? ev->role : "",
                                   ev->address ? ev->address : "",
                                   ev->action,
                                   ev->object_type ? ev->object_type : "",
                                   ev->object_id ? ev->object_id : "",
                                   ev->detail ? ev->detail : "{}"};
    char hash[65];
    seq++;
    row_hash(seq, ev->time_ns, fields, prev, hash);
    sqlite3_bind_int64(ins, 1, seq);
    sqlite3_bind_int64(ins, 2, ev->time_ns);
    for (int f = 0; f < 7; f++)
      sqlite3_bind_text(ins, 3 + f, fields[f], -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, 10, prev, -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, 11, hash, -1, SQLITE_STATIC);
    int rc = sqlite3_step(ins);
    reset(ins);
    if (rc != SQLITE_DONE) {
      g_set_error(error, HW_STORE_ERROR,
                  rc == SQLITE_CONSTRAINT ? HW_STORE_ERROR_INVALID : HW_STORE_ERROR_SQL,
                  "appending audit event %s: %s", ev->action, sqlite3_errmsg(db));
      goto rollback;
    }
    memcpy(prev, hash, sizeof prev);
  }
  if (!hw_store__op_commit(store, own, error))
    goto out;
  if (ret_seq != NULL)
    *ret_seq = seq;
  ok = true;
  goto out;

  /* ERRORS */
rollback:
  hw_store__op_rollback(store, own);
out:
  g_rec_mutex_unlock(hw_store__lock(store));
  return ok;
}

bool hw_store_audit_append(HwStore *store, const HwAuditEvent *ev, int64_t *ret_seq, GError **error)
{
  g_return_val_if_fail(ev != NULL, false);
  return hw_store_audit_append_many(store, ev, 1, ret_seq, error);
}

/* ---- reading --------------------------------------------------------------------------------- */

static void bind_opt_text(sqlite3_stmt *st, int i, const char *s)
{
  if (s != NULL && s[0] != '\0')
    sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(st, i);
}

bool hw_store_audit_query(HwStore *store, const HwAuditFilter *filter, HwAuditRow **ret,
                          size_t *ret_n, GError **error)
{
  g_return_val_if_fail(store != NULL && filter != NULL && ret != NULL && ret_n != NULL, false);
  size_t limit =
      filter->limit == 0 || filter->limit > HW_AUDIT_QUERY_MAX ? HW_AUDIT_QUERY_MAX : filter->limit;
  sqlite3 *db = audit_lock(store);
  g_autoptr(GArray) rows = g_array_new(FALSE, TRUE, sizeof(HwAuditRow));
  bool ok = false;
  sqlite3_stmt *st = hw_store__stmt(store, SQL_QUERY, error);
  if (st == NULL)
    goto out;
  sqlite3_bind_int64(st, 1, filter->from_ns);
  sqlite3_bind_int64(st, 2, filter->to_ns);
  bind_opt_text(st, 3, filter->actor);
  bind_opt_text(st, 4, filter->action);
  bind_opt_text(st, 5, filter->object_type);
  bind_opt_text(st, 6, filter->object_id);
  sqlite3_bind_int64(st, 7, filter->after_seq);
  sqlite3_bind_int64(st, 8, (sqlite3_int64)limit);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    g_array_set_size(rows, rows->len + 1);
    row_from(st, &g_array_index(rows, HwAuditRow, rows->len - 1));
  }
  if (rc != SQLITE_DONE)
    set_sql_error(error, db, "querying the audit log");
  else
    ok = true;
  reset(st);
out:
  g_rec_mutex_unlock(hw_store__lock(store));
  if (!ok)
    return false;
  *ret_n = rows->len;
  *ret = (HwAuditRow *)(void *)g_array_free(g_steal_pointer(&rows), FALSE);
  return true;
}

bool hw_store_audit_foreach(HwStore *store, int64_t after_seq, HwAuditRowFn fn, void *user,
                            GError **error)
{
  g_return_val_if_fail(store != NULL && fn != NULL, false);
  sqlite3 *db = audit_lock(store);
  g_autofree HwAuditRow *row = g_new0(HwAuditRow, 1);
  bool ok = false;
  sqlite3_stmt *st = hw_store__stmt(store, SQL_FOREACH, error);
  if (st == NULL)
    goto out;
  sqlite3_bind_int64(st, 1, after_seq);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    row_from(st, row);
    if (!fn(row, user)) {
      rc = SQLITE_DONE;
      break;
    }
  }
  if (rc != SQLITE_DONE)
    set_sql_error(error, db, "reading the audit log");
  else
    ok = true;
  reset(st);
out:
  g_rec_mutex_unlock(hw_store__lock(store));
  return ok;
}

bool hw_store_audit_head(HwStore *store, int64_t *ret_seq, char ret_hash[65], GError **error)
{
  g_return_val_if_fail(store != NULL && ret_seq != NULL && ret_hash != NULL, false);
  sqlite3 *db = audit_lock(store);
  int64_t seq;
  char hash[65];
  bool ok = read_head(store, db, &seq, hash, error);
  g_rec_mutex_unlock(hw_store__lock(store));
  if (ok) {
    *ret_seq = seq;
    memcpy(ret_hash, hash, sizeof hash);
  }
  return ok;
}

/* ---- signed heads ---------------------------------------------------------------------------- */

bool hw_store_audit_head_add(HwStore *store, const HwAuditHead *head, GError **error)
{
  g_return_val_if_fail(store != NULL && head != NULL, false);
  sqlite3 *db = audit_lock(store);
  bool ok = false;
  sqlite3_stmt *st = hw_store__stmt(store, SQL_HEAD_ADD, error);
  if (st != NULL) {
    sqlite3_bind_int64(st, 1, head->seq);
    sqlite3_bind_text(st, 2, head->head_hash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, head->signed_at_ns);
    sqlite3_bind_text(st, 4, head->signature, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, head->public_key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
      g_set_error(error, HW_STORE_ERROR,
                  rc == SQLITE_CONSTRAINT ? HW_STORE_ERROR_INVALID : HW_STORE_ERROR_SQL,
                  "storing the signed audit head at row %" G_GINT64_FORMAT ": %s", head->seq,
                  sqlite3_errmsg(db));
    ok = rc == SQLITE_DONE;
    reset(st);
  }
  g_rec_mutex_unlock(hw_store__lock(store));
  return ok;
}

static void head_from(sqlite3_stmt *st, HwAuditHead *h)
{
  h->id = sqlite3_column_int64(st, 0);
  h->seq = sqlite3_column_int64(st, 1);
  copy_col(h->head_hash, sizeof h->head_hash, st, 2);
  h->signed_at_ns = sqlite3_column_int64(st, 3);
  copy_col(h->signature, sizeof h->signature, st, 4);
  copy_col(h->public_key, sizeof h->public_key, st, 5);
}

bool hw_store_audit_heads(HwStore *store, HwAuditHead **ret, size_t *ret_n, GError **error)
{
  g_return_val_if_fail(store != NULL && ret != NULL && ret_n != NULL, false);
  sqlite3 *db = audit_lock(store);
  g_autoptr(GArray) heads = g_array_new(FALSE, TRUE, sizeof(HwAuditHead));
  bool ok = false;
  sqlite3_stmt *st = hw_store__stmt(store, SQL_HEADS, error);
  if (st != NULL) {
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      g_array_set_size(heads, heads->len + 1);
      head_from(st, &g_array_index(heads, HwAuditHead, heads->len - 1));
    }
    if (rc != SQLITE_DONE)
      set_sql_error(error, db, "reading the signed audit heads");
    else
      ok = true;
    reset(st);
  }
  g_rec_mutex_unlock(hw_store__lock(store));
  if (!ok)
    return false;
  *ret_n = heads->len;
  *ret = (HwAuditHead *)(void *)g_array_free(g_steal_pointer(&heads), FALSE);
  return true;
}

bool hw_store_audit_last_head(HwStore *store, HwAuditHead *ret, bool *ret_found, GError **error)
{
  g_return_val_if_fail(store != NULL && ret != NULL && ret_found != NULL, false);
  sqlite3 *db = audit_lock(store);
  bool ok = false;
  sqlite3_stmt *st = hw_store__stmt(store, SQL_LAST_HEAD, error);
  if (st != NULL) {
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      memset(ret, 0, sizeof *ret);
      head_from(st, ret);
    }
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
      *ret_found = rc == SQLITE_ROW;
      ok = true;
    } else {
      set_sql_error(error, db, "reading the last signed audit head");
    }
    reset(st);
  }
  g_rec_mutex_unlock(hw_store__lock(store));
  return ok;
}

const char *hw_store_filename(HwStore *store)
{
  g_return_val_if_fail(store != NULL, NULL);
  return sqlite3_db_filename(hw_store__db(store), "main");
}
