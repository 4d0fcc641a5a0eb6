/* The audit log's logic over the store: recording events, signing the chain's head with the
 * appliance key, and verifying chain, heads and tail. The SQL and the canonical row form live in
 * sql/store_audit.c; the key in common/hw_keys.c. */
#include "audit/hw_audit.h"

#include <jansson.h>
#include <string.h>

#define MAX_PROBLEMS 100

char *hw_audit_head_message(int64_t seq, const char *head_hash, hw_time_ns signed_at_ns)
{
  return g_strdup_printf("hallwatch-audit-v1\n%" G_GINT64_FORMAT "\n%s\n%" G_GINT64_FORMAT, seq,
                         head_hash, signed_at_ns);
}

/* ---- recording ------------------------------------------------------------------------------- */

struct HwAudit {
  HwStore *store;
};

HwAudit *hw_audit_new(HwStore *store)
{
  g_return_val_if_fail(store != NULL, NULL);
  HwAudit *a = g_new0(HwAudit, 1);
  a->store = store;
  return a;
}

void hw_audit_free(HwAudit *audit) { g_free(audit); }

bool hw_audit_record(HwAudit *audit, const char *actor, const char *role, const char *address,
                     const char *action, const char *object_type, const char *object_id,
                     const char *detail_json, GError **error)
{
  g_return_val_if_fail(audit != NULL, false);
  HwAuditEvent ev = {
      .time_ns = hw_time_now(),
      .actor = actor,
      .role = role,
      .address = address,
      .action = action,
      .object_type = object_type,
      .object_id = object_id,
      .detail = detail_json,
  };
  /* The store serialises writers; nothing here needs a lock of its own. */
  return hw_store_audit_append(audit->store, &ev, NULL, error);
}

/* ---- signing --------------------------------------------------------------------------------- */

bool hw_audit_sign_head(HwStore *store, const HwKey *key, GError **error)
{
  g_return_val_if_fail(store != NULL && key != NULL, false);
  HwAuditHead last = {0};
  bool found = false;
  HwAuditHead head = {0};
  if (!hw_store_audit_head(store, &head.seq, head.head_hash, error) ||
      !hw_store_audit_last_head(store, &last, &found, error))
    return false;
  if (head.seq == 0)
    return true;
  if (found && last.seq == head.seq && strcmp(last.head_hash, head.head_hash) == 0 &&
      strcmp(last.public_key, hw_key_public_hex(key)) == 0)
    return true;
  head.signed_at_ns = hw_time_now();
  g_autofree char *msg = hw_audit_head_message(head.seq, head.head_hash, head.signed_at_ns);
  hw_key_sign(key, msg, strlen(msg), head.signature);
  g_strlcpy(head.public_key, hw_key_public_hex(key), sizeof head.public_key);
  return hw_store_audit_head_add(store, &head, error);
}

/* ---- verification ---------------------------------------------------------------------------- */

void hw_audit_verify_result_free(HwAuditVerifyResult *result)
{
  if (result == NULL)
    return;
  g_ptr_array_unref(result->problems);
  g_ptr_array_unref(result->notes);
  g_free(result);
}

typedef struct {
  const HwAuditVerifyOptions *opt;
  HwAuditVerifyResult *r;
  HwAuditHead *heads; /* sorted by seq */
  size_t n_heads;
  bool *head_valid;   /* signature by the trusted key holds */
  bool *head_matched; /* its row was seen with the signed hash */
  size_t next_head;   /* first head whose seq has not been reached */
  int64_t expected_seq;
  char prev[65];
} Walk;

static void G_GNUC_PRINTF(3, 4) problem(HwAuditVerifyResult *r, int64_t seq, const char *fmt, ...)
{
  if (seq > 0 && r->first_bad_seq == 0)
    r->first_bad_seq = seq;
  r->ok = false;
  if (r->problems->len == MAX_PROBLEMS)
    g_ptr_array_add(r->problems, g_strdup("… (more problems not listed)"));
  if (r->problems->len > MAX_PROBLEMS)
    return;
  va_list ap;
  va_start(ap, fmt);
  g_ptr_array_add(r->problems, g_strdup_vprintf(fmt, ap));
  va_end(ap);
}

static const char *fmt_time(hw_time_ns t, char buf[32]) { return hw_time_format(t, buf, 32); }

static bool walk_row(const HwAuditRow *row, void *user)
{
  Walk *w = user;
  HwAuditVerifyResult *r = w->r;
  r->rows++;
  char hash[65];
  hw_store_audit_row_hash(row, hash);

  if (row->seq != w->expected_seq) {
    if (w->expected_seq == 1)
      problem(r, row->seq,
              "row %" G_GINT64_FORMAT ": the log starts here, not at row 1 (rows "
              "removed?)",
              row->seq);
    else
      problem(r, row->seq,
              "row %" G_GINT64_FORMAT ": follows row %" G_GINT64_FORMAT " (rows %" G_GINT64_FORMAT
              "..%" G_GINT64_FORMAT " are missing: removed?)",
              row->seq, w->expected_seq - 1, w->expected_seq, row->seq - 1);
  }
  if (strcmp(hash, row->hash) != 0)
    problem(r, row->seq, "row %" G_GINT64_FORMAT ": hash does not match its content (edited?)",
            row->seq);
  else if (strcmp(row->prev_hash, w->prev) != 0)
    problem(r, row->seq,
            "row %" G_GINT64_FORMAT ": prev_hash does not match row %" G_GINT64_FORMAT
            " (rows removed or reordered?)",
            row->seq, w->expected_seq - 1);

  /* Heads at seqs that were skipped (their row is missing), then heads at this row. */
  for (; w->next_head < w->n_heads && w->heads[w->next_head].seq <= row->seq; w->next_head++) {
    const HwAuditHead *h = &w->heads[w->next_head];
    if (h->seq < row->seq) {
      problem(r, h->seq, "signed head at row %" G_GINT64_FORMAT ": that row is missing (removed?)",
              h->seq);
    } else if (strcmp(h->head_hash, row->hash) != 0 || strcmp(h->head_hash, hash) != 0) {
      problem(r, h->seq,
              "signed head at row %" G_GINT64_FORMAT ": the row's hash is no longer the signed "
              "one (the chain was rewritten?)",
              h->seq);
    } else {
      w->head_matched[w->next_head] = true;
    }
  }
  r->last_seq = row->seq;
  w->expected_seq = row->seq + 1;
  g_strlcpy(w->prev, row->hash, sizeof w->prev);
  return true;
}

/* The rows after the last good signed head: counted in a second pass over that tail only. */
typedef struct {
  HwAuditVerifyResult *r;
} Tail;

static bool tail_row(const HwAuditRow *row, void *user)
{
  Tail *t = user;
  if (t->r->unsigned_rows++ == 0)
    t->r->unsigned_since_ns = row->time_ns;
  return true;
}

HwAuditVerifyResult *hw_audit_verify(HwStore *store, const HwAuditVerifyOptions *options,
                                     GError **error)
{
  g_return_val_if_fail(store != NULL && options != NULL, NULL);
  g_autoptr(HwAuditVerifyResult) r = g_new0(HwAuditVerifyResult, 1);
  r->ok = true;
  r->problems = g_ptr_array_new_with_free_func(g_free);
  r->notes = g_ptr_array_new_with_free_func(g_free);
  char t1[32];

  g_autofree HwAuditHead *heads = NULL;
  size_t n_heads = 0;
  if (!hw_store_audit_heads(store, &heads, &n_heads, error))
    return NULL;
  r->signed_heads = (int64_t)n_heads;
  g_autofree bool *valid = g_new0(bool, n_heads + 1);
  g_autofree bool *matched = g_new0(bool, n_heads + 1);

  if (options->public_key_hex == NULL)
    problem(r, 0, "no trusted public key: the signed heads cannot be checked");
  for (size_t i = 0; i < n_heads && options->public_key_hex != NULL; i++) {
    const HwAuditHead *h = &heads[i];
    g_autofree char *msg = hw_audit_head_message(h->seq, h->head_hash, h->signed_at_ns);
    if (strcmp(h->public_key, options->public_key_hex) != 0)
      problem(r, 0,
              "signed head at row %" G_GINT64_FORMAT " (signed %s): signed by another key (%s), "
              "not this appliance's",
              h->seq, fmt_time(h->signed_at_ns, t1), h->public_key);
    else if (!hw_key_verify(options->public_key_hex, msg, strlen(msg), h->signature))
      problem(r, 0,
              "signed head at row %" G_GINT64_FORMAT " (signed %s): the signature does not "
              "verify (forged or altered?)",
              h->seq, fmt_time(h->signed_at_ns, t1));
    else
      valid[i] = true;
  }

  Walk w = {.opt = options,
            .r = r,
            .heads = heads,
            .n_heads = n_heads,
            .head_valid = valid,
            .head_matched = matched,
            .expected_seq = 1};
  g_strlcpy(w.prev, HW_AUDIT_ZERO_HASH, sizeof w.prev);
  if (!hw_store_audit_foreach(store, 0, walk_row, &w, error))
    return NULL;

  /* Heads beyond the end: rows were cut off. Reported once, for the furthest head. */
  if (w.next_head < n_heads) {
    const HwAuditHead *h = &heads[n_heads - 1];
    problem(r, r->last_seq + 1,
            "the log was cut: signed head at row %" G_GINT64_FORMAT " (signed %s) but the log "
            "ends at row %" G_GINT64_FORMAT,
            h->seq, fmt_time(h->signed_at_ns, t1), r->last_seq);
  }

  for (size_t i = 0; i < n_heads; i++) {
    if (valid[i] && matched[i] && heads[i].seq >= r->last_signed_seq) {
      r->last_signed_seq = heads[i].seq;
      r->last_signed_at_ns = MAX(r->last_signed_at_ns, heads[i].signed_at_ns);
    }
  }
  Tail t = {.r = r};
  if (r->last_seq > r->last_signed_seq &&
      !hw_store_audit_foreach(store, r->last_signed_seq, tail_row, &t, error))
    return NULL;
  if (r->unsigned_rows > 0) {
    g_autofree char *what =
        g_strdup_printf("unsigned tail: %" G_GINT64_FORMAT " rows since %s (after %s)",
                        r->unsigned_rows, fmt_time(r->unsigned_since_ns, t1),
                        r->last_signed_seq > 0 ? "the last signed head" : "no signed head at all");
    int64_t age = options->now_ns - r->unsigned_since_ns;
    if (options->max_unsigned_age_ns > 0 && age > options->max_unsigned_age_ns)
      problem(r, 0,
              "%s: older than %" G_GINT64_FORMAT " s, so its head should have been signed (was "
              "the daemon killed, or were signed heads removed?)",
              what, options->max_unsigned_age_ns / G_GINT64_CONSTANT(1000000000));
    else
      g_ptr_array_add(r->notes, g_steal_pointer(&what));
  }
  return g_steal_pointer(&r);
}

/* ---- JSON ------------------------------------------------------------------------------------ */

static json_t *time_or_null(hw_time_ns t)
{
  char buf[32];
  return t != 0 ? json_string(hw_time_format(t, buf, sizeof buf)) : json_null();
}

static json_t *strings(const GPtrArray *a)
{
  json_t *arr = json_array();
  for (guint i = 0; i < a->len; i++)
    json_array_append_new(arr, json_string(a->pdata[i]));
  return arr;
}

static char *dump(json_t *o)
{
  char *s = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  char *copy = g_strdup(s); /* g_free-able for the caller */
  free(s);
  return copy;
}

char *hw_audit_verify_result_to_json(const HwAuditVerifyResult *r)
{
  g_return_val_if_fail(r != NULL, NULL);
  json_t *o = json_object();
  json_object_set_new(o, "ok", json_boolean(r->ok));
  json_object_set_new(o, "rows", json_integer(r->rows));
  json_object_set_new(o, "last_seq", json_integer(r->last_seq));
  json_object_set_new(o, "signed_heads", json_integer(r->signed_heads));
  json_object_set_new(o, "last_signed_seq", json_integer(r->last_signed_seq));
  json_object_set_new(o, "last_signed_at", time_or_null(r->last_signed_at_ns));
  json_object_set_new(o, "unsigned_rows", json_integer(r->unsigned_rows));
  json_object_set_new(o, "unsigned_since", time_or_null(r->unsigned_since_ns));
  json_object_set_new(o, "first_bad_seq",
                      r->first_bad_seq ? json_integer(r->first_bad_seq) : json_null());
  json_object_set_new(o, "problems", strings(r->problems));
  json_object_set_new(o, "notes", strings(r->notes));
  return dump(o);
}

char *hw_audit_row_to_json(const HwAuditRow *row)
{
  g_return_val_if_fail(row != NULL, NULL);
  json_t *o = json_object();
  char buf[32];
  json_object_set_new(o, "seq", json_integer(row->seq));
  json_object_set_new(o, "time", json_string(hw_time_format(row->time_ns, buf, sizeof buf)));
  json_object_set_new(o, "time_ns", json_integer(row->time_ns));
  json_object_set_new(o, "actor", json_string(row->actor));
  json_object_set_new(o, "role", json_string(row->role));
  json_object_set_new(o, "address", json_string(row->address));
  json_object_set_new(o, "action", json_string(row->action));
  json_object_set_new(o, "object_type", json_string(row->object_type));
  json_object_set_new(o, "object_id", json_string(row->object_id));
  json_t *detail = json_loads(row->detail, JSON_DECODE_ANY, NULL);
  json_object_set_new(o, "detail", detail != NULL ? detail : json_string(row->detail));
  json_object_set_new(o, "prev_hash", json_string(row->prev_hash));
  json_object_set_new(o, "hash", json_string(row->hash));
  return dump(o);
}
