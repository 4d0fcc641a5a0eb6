/* The store's part of warnings (migration "warnings"): warnings raised on cases with their
 * history, correction notices (督办) with theirs, and the footage holds taken for cases
 * (open cases' window stages; red warnings'). The rules that decide what to raise live in
 * cases/hw_warnings.h; this file only applies their verdict atomically. Scope arguments are
 * NULL-terminated code lists (a caller's hw_request_scope_codes) or NULL for unrestricted; an
 * object outside them is NOT_FOUND. Thread-safe; errors in HW_STORE_ERROR. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "sql/hw_store.h"
#include "sql/hw_store_cases.h"

G_BEGIN_DECLS

#define HW_WARNING_NOTE_MAX 1000 /* characters of a close note, notice or reply */

/* What the rules want raised on a case now. */
typedef struct {
  const char *rule;    /* a name of the migration's warning_rule_known list */
  const char *subject; /* "" unless the rule can fire more than once per case */
  int level;           /* 1 yellow, 2 red */
  hw_time_ns due_ns;   /* the limit's end for deadline rules, 0 otherwise */
} HwStoreWarningRaise;

/* A piece of a window's footage to hold: the window (hall, code) and a time range. The cameras
 * are those mapped to the window during the range (window_cameras' validity). */
typedef struct {
  const char *hall, *window;
  hw_time_ns from_ns, to_ns;
} HwStoreHoldRange;

/* A case's facts for the rules: the case, its stage events (hw_store_stage_events_free) and its
 * complaint count. NOT_FOUND if no such case. */
bool hw_store_case_facts(HwStore *store, int64_t case_id, HwStoreCase *ret_case,
                         HwStoreStageEvent **ret_stages, size_t *ret_n, int64_t *ret_complaints,
                         GError **error);

/* The ids of the cases not completed (g_free), for the timer queue at start. */
bool hw_store_open_case_ids(HwStore *store, int64_t **ret, size_t *ret_n, GError **error);

/* Case ids by (department, case number) for numbers[0..n); unknown ones are skipped. */
bool hw_store_case_ids(HwStore *store, const char *department, const char *const *numbers, size_t n,
                       GArray *ret_ids, GError **error);

/* Applies the rules' verdict on a case in ONE transaction:
 * - completed: deadline warnings still open (promised_near/late, statutory_late, stage_long)
 *   close with closed_by 'case_completed' (and their notices), the case's 'open_case' holds are
 *   released;
 * - each raise not yet raised on (case, rule, subject) is inserted (history 'raised'); a red
 *   promised_late supersedes an open promised_near (closed 'superseded', history kept);
 * - not completed: the case's window ranges are held ('open_case'); for every open red warning
 *   whose hold was not released, the ranges are held ('warning'); existing holds are not doubled;
 * - cases.warning_level becomes the highest open level.
 * *ret_raised (nullable) counts the warnings inserted. */
bool hw_store_warnings_apply(HwStore *store, int64_t case_id, bool completed,
                             const HwStoreWarningRaise *raises, size_t n_raises,
                             const HwStoreHoldRange *ranges, size_t n_ranges, hw_time_ns now,
                             size_t *ret_raised, GError **error);

typedef struct {
  int64_t id, case_id;
  char department[64], hall[64], case_number[65];
  char rule[32], subject[129], state[8], closed_by[81];
  int level;
  hw_time_ns raised_ns, due_ns, closed_ns, hold_released_ns; /* 0: none */
  char close_note[HW_WARNING_NOTE_MAX * 4 + 1];
} HwStoreWarning;

typedef struct {
  int level;              /* 0: any */
  const char *rule;       /* NULL: any */
  const char *department; /* NULL: any */
  const char *state;      /* "open", "closed", NULL: any */
  int64_t case_id;        /* 0: any (one case's warnings, for the case view) */
  int64_t before_id;      /* keyset: only ids below (0: from the newest) */
  int limit;              /* rows, 1..500 */
} HwStoreWarningFilter;

/* Warnings matching filter within the scopes, newest first (g_free). */
bool hw_store_warnings_list(HwStore *store, const HwStoreWarningFilter *filter,
                            const char *const *departments, const char *const *halls,
                            HwStoreWarning **ret, size_t *ret_n, GError **error);

/* Counts of the warnings matching filter (paging ignored) by department and level: calls fn for
 * each (department, level, count), departments in order. */
typedef void (*HwStoreWarningCountFn)(const char *department, int level, int64_t count, void *user);
bool hw_store_warnings_count(HwStore *store, const HwStoreWarningFilter *filter,
                             const char *const *departments, const char *const *halls,
                             HwStoreWarningCountFn fn, void *user, GError **error);

bool hw_store_warning_get(HwStore *store, int64_t id, const char *const *departments,
                          const char *const *halls, HwStoreWarning *ret, GError **error);

/* One history row (of a warning or a notice). */
typedef struct {
  int64_t id;
  hw_time_ns at_ns;
  char action[16];
  char actor[81];
  char text[HW_WARNING_NOTE_MAX * 4 + 1];
} HwStoreHistory;

typedef struct {
  int64_t id, warning_id;
  char department[64];
  char state[8];
  hw_time_ns sent_ns, updated_ns;
  char sent_by[81];
  char text[HW_WARNING_NOTE_MAX * 4 + 1];
  char reply[HW_WARNING_NOTE_MAX * 4 + 1];
} HwStoreNotice;

/* A warning's history (g_free), its notices (g_free) and each notice's history concatenated in
 * notice order (ret_notice_history[k] belongs to notice ret_notice_of[k] id; both g_free). */
bool hw_store_warning_history(HwStore *store, int64_t id, HwStoreHistory **ret, size_t *ret_n,
                              GError **error);
bool hw_store_warning_notices(HwStore *store, int64_t id, HwStoreNotice **ret, size_t *ret_n,
                              GError **error);
bool hw_store_notice_history(HwStore *store, int64_t notice_id, HwStoreHistory **ret, size_t *ret_n,
                             GError **error);

/* A supervisor closes an open warning with a note (its notices close too). NOT_FOUND outside
 * the scopes; HW_STORE_ERROR_EXISTS if already closed. */
bool hw_store_warning_close(HwStore *store, int64_t id, const char *const *departments,
                            const char *const *halls, const char *actor, const char *note,
                            hw_time_ns now, GError **error);

/* Releases the holds taken for a warning (the case's own 'open_case' holds stay). *ret_n the
 * holds released. EXISTS if already released. */
bool hw_store_warning_release_hold(HwStore *store, int64_t id, const char *const *departments,
                                   const char *const *halls, const char *actor, hw_time_ns now,
                                   size_t *ret_n, GError **error);

/* Sends a notice on a warning to its department; *ret_id its id. */
bool hw_store_notice_send(HwStore *store, int64_t warning_id, const char *const *departments,
                          const char *const *halls, const char *actor, const char *text,
                          hw_time_ns now, int64_t *ret_id, GError **error);

/* A department's notices not closed, oldest first, at most limit (g_free); the ones still 'sent'
 * become 'read' (history 'read', actor) in the same transaction. */
bool hw_store_notices_for_department(HwStore *store, const char *department, const char *actor,
                                     hw_time_ns now, int limit, HwStoreNotice **ret, size_t *ret_n,
                                     GError **error);

/* A department's reply to its notice (NOT_FOUND for another's or a closed one). */
bool hw_store_notice_reply(HwStore *store, const char *department, int64_t notice_id,
                           const char *actor, const char *text, hw_time_ns now, GError **error);

/* The holds of a case (ids, g_free), live ones only when live_only. Tests, the case view. */
bool hw_store_case_hold_ids(HwStore *store, int64_t case_id, const char *kind, bool live_only,
                            int64_t **ret, size_t *ret_n, GError **error);

G_END_DECLS
