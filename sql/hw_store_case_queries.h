/* The supervisors' reads of case data (web/cases.c): a filtered, keyset-paged list of cases, one
 * case by id, and one staff member's stage events across cases. Every read takes the caller's
 * scope (department and hall codes, NULL-terminated, or NULL for "unrestricted") and filters in
 * SQL: a case outside it is NOT_FOUND or absent. Each query is planned onto one index range
 * (INDEXED BY, so a missing index fails loudly instead of scanning); hw_store_case_query_plan
 * shows the plan for tests and bench/cases. Errors: GError in HW_STORE_ERROR. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "sql/hw_store_cases.h"

G_BEGIN_DECLS

#define HW_CASE_QUERY_LIMIT_MAX 200

/* The order of the case list. */
typedef enum {
  HW_CASE_SORT_ACCEPTED, /* by accepted time (then id): every accepted case */
  HW_CASE_SORT_DUE,      /* by the promised due instant (then id): running cases whose promised
                          * due date is known (cases.promised_due_ns), overdue ones first when
                          * ascending */
} HwCaseSort;

/* Filters of the case list; NULL/0/false: not filtered. Lists hold accepted cases only (those
 * with an accepted time), newest first unless ascending (HW_CASE_SORT_DUE: latest due first
 * unless ascending); a case not yet accepted is found by its number. window needs hall. */
typedef struct {
  const char *case_number, *department, *item_code, *hall, *window, *operator_id, *state;
  int warning_level; /* 1 yellow, 2 red (the case's highest open warning); 0: any */
  bool has_from, has_to;
  hw_time_ns from_ns, to_ns; /* accepted in [from, to) */
  HwCaseSort sort;
  bool ascending;
  size_t limit;    /* 1..HW_CASE_QUERY_LIMIT_MAX */
  bool has_cursor; /* continue after (cursor_ns, cursor_id) in the list's order: cursor_ns is
                    * the sort's time (accepted or due) */
  hw_time_ns cursor_ns;
  int64_t cursor_id;
  const char *const *scope_departments;
  const char *const *scope_halls;
} HwCaseQuery;

/* The page of cases (g_free), *ret_more whether more follow (then the last row is the cursor). */
bool hw_store_cases_query(HwStore *store, const HwCaseQuery *q, HwStoreCase **ret, size_t *ret_n,
                          bool *ret_more, GError **error);

/* A case's time in the list's order (accepted or promised due): the next_cursor's time. */
hw_time_ns hw_store_case_sort_key(const HwStoreCase *c, HwCaseSort sort);

/* EXPLAIN QUERY PLAN of the statement(s) q runs, one detail a line (g_free). */
char *hw_store_case_query_plan(HwStore *store, const HwCaseQuery *q, GError **error);

/* One case by id within the scope; NOT_FOUND if none or outside it. */
bool hw_store_case_get_by_id(HwStore *store, int64_t id, const char *const *scope_departments,
                             const char *const *scope_halls, HwStoreCase *ret, GError **error);

/* A staff member's stage event, with its case. */
typedef struct {
  HwStoreStageEvent event; /* opinion owned: free with hw_store_staff_events_free */
  char department[64];
  char case_number[65];
} HwStoreStaffEvent;

typedef struct {
  const char *operator_id; /* required */
  const char *department;  /* NULL: every department in scope */
  bool has_from, has_to;
  hw_time_ns from_ns, to_ns; /* event time in [from, to) */
  bool ascending;
  size_t limit;
  bool has_cursor;
  hw_time_ns cursor_ns;
  int64_t cursor_id;
  const char *const *scope_departments;
  const char *const *scope_halls; /* the case's hall */
} HwStaffQuery;

bool hw_store_staff_events(HwStore *store, const HwStaffQuery *q, HwStoreStaffEvent **ret,
                           size_t *ret_n, bool *ret_more, GError **error);
char *hw_store_staff_query_plan(HwStore *store, const HwStaffQuery *q, GError **error);
void hw_store_staff_events_free(HwStoreStaffEvent *events, size_t n);

/* The stages query of hw_store_case_stages, for the plan check. */
char *hw_store_case_stages_plan(HwStore *store, GError **error);

G_END_DECLS
