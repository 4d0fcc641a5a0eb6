/* The audit log above the store: a one-call, thread-safe recorder for every module that has
 * something to account for (sign-in, footage, exports, config, users, tokens, cameras), the
 * signing of the chain's head with the appliance key, and the verification of chain and heads. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/hw_keys.h"
#include "common/hw_time.h"
#include "sql/hw_store.h"

G_BEGIN_DECLS

/* What a signed head's signature covers: "hallwatch-audit-v1\n<seq>\n<head_hash>\n<signed_at_ns>"
 * (decimal integers, no trailing newline). Returns a new string (g_free). */
char *hw_audit_head_message(int64_t seq, const char *head_hash, hw_time_ns signed_at_ns);

/* ---- recording --------------------------------------------------------------------------------
 * HwAudit wraps a store (borrowed: it must outlive the HwAudit). */
typedef struct HwAudit HwAudit;
HwAudit *hw_audit_new(HwStore *store);
void hw_audit_free(HwAudit *audit);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HwAudit, hw_audit_free)

/* Appends one row now: who (actor: user name, token name or "system"; role; address, "" for
 * local), what (action such as "auth.login", "footage.view"), which object (type and id, or
 * NULL), and detail (a JSON object as text, or NULL). Thread-safe; one commit per call. Returns
 * false with error set (domain HW_STORE_ERROR) if nothing was written: callers that must not
 * proceed without a trace (footage views) refuse the request then. */
bool hw_audit_record(HwAudit *audit, const char *actor, const char *role, const char *address,
                     const char *action, const char *object_type, const char *object_id,
                     const char *detail_json, GError **error);

/* ---- signing ----------------------------------------------------------------------------------
 * Signs the chain's current head with key and stores the signed head. Nothing is stored when the
 * log is empty or its head is the one signed last. One-shot tools that append rows (e.g.
 * `hallwatchd user add`) call it before they exit, so their rows do not stay unsigned. */
bool hw_audit_sign_head(HwStore *store, const HwKey *key, GError **error);

/* ---- verification ----------------------------------------------------------------------------- */

typedef struct {
  /* The trusted public key (hex). Heads signed by another key fail. NULL: signatures cannot be
   * checked, which fails verification. */
  const char *public_key_hex;
  hw_time_ns now_ns;
  /* Rows after the last signed head older than this (relative to now_ns) fail: their head should
   * have been signed by then. 0: an unsigned tail of any age is only reported. */
  int64_t max_unsigned_age_ns;
} HwAuditVerifyOptions;

typedef struct {
  bool ok;                 /* nothing below in problems */
  int64_t rows;            /* rows read */
  int64_t last_seq;        /* seq of the last row (0: empty log) */
  int64_t signed_heads;    /* heads read */
  int64_t last_signed_seq; /* highest seq of a head whose signature and hash hold */
  hw_time_ns last_signed_at_ns;
  int64_t unsigned_rows;        /* rows after last_signed_seq */
  hw_time_ns unsigned_since_ns; /* time of the first of them (0 if none) */
  int64_t first_bad_seq;        /* the first row found broken (0: none) */
  GPtrArray *problems;          /* char *, in the order found: "row 1234: hash does not …" */
  GPtrArray *notes;             /* char *, not failures: "unsigned tail: 3 rows since …" */
} HwAuditVerifyResult;

void hw_audit_verify_result_free(HwAuditVerifyResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HwAuditVerifyResult, hw_audit_verify_result_free)

/* Recomputes every row's hash and the chain, checks every signed head (signature by the trusted
 * key, its row still there with that hash, not beyond the log's end) and the unsigned tail.
 * Returns a new result (free with hw_audit_verify_result_free) whose ok says whether all is
 * well, or NULL with error set if the store could not be read. At most 100 problems are listed;
 * a broken row is reported once and the chain is followed on from its stored hash. */
HwAuditVerifyResult *hw_audit_verify(HwStore *store, const HwAuditVerifyOptions *options,
                                     GError **error);

/* The result as a JSON object text (g_free): {"ok", "rows", "last_seq", "signed_heads",
 * "last_signed_seq", "last_signed_at", "unsigned_rows", "unsigned_since", "first_bad_seq",
 * "problems": [...], "notes": [...]}; times as RFC 3339 UTC, null when absent. */
char *hw_audit_verify_result_to_json(const HwAuditVerifyResult *result);

/* A row as a JSON object text (g_free), detail embedded as JSON; time as RFC 3339 UTC plus
 * time_ns. */
char *hw_audit_row_to_json(const HwAuditRow *row);

G_END_DECLS
