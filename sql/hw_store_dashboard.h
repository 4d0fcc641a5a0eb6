/* The store's reads for the supervisors' dashboard (web/dashboard.c): footage totals and the
 * retention horizon per camera, the bytes under live holds, cases in progress and due today,
 * each window's current case, and the stage events at a camera's windows (footage markers).
 * Every read is an index range or a small table (migration 0012: footage_totals kept by
 * triggers, holds_live, cases.promised_due_ns, cases_in_progress); hw_store_dashboard_plans
 * shows the plans for the tests. Scope arguments are NULL-terminated code lists (a caller's
 * hw_request_scope_codes) or NULL for unrestricted, filtered in SQL. Thread-safe; errors in
 * HW_STORE_ERROR. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "sql/hw_store.h"

G_BEGIN_DECLS

/* One camera's indexed footage. */
typedef struct {
  char camera[64];
  char hall[64];        /* "" for a camera in no hall (config-file cameras) */
  int64_t files, bytes;
  hw_time_ns oldest_ns; /* start of its oldest file still stored; 0: none */
} HwStoreCameraFootage;

/* Footage per camera that has any, by id (g_free). halls: NULL lists every camera; a list lists
 * only API cameras whose hall is in it. */
bool hw_store_footage_by_camera(HwStore *store, const char *const *halls,
                                HwStoreCameraFootage **ret, size_t *ret_n, GError **error);

/* Bytes and files overlapping a live hold (not released; until 0 or after now) of the cameras
 * within halls (as above), each file counted once. */
bool hw_store_held_footage(HwStore *store, const char *const *halls, hw_time_ns now,
                           int64_t *ret_bytes, int64_t *ret_files, GError **error);

/* A case as the dashboard lists it. */
typedef struct {
  int64_t id;
  char department[64];
  char case_number[65];
  char item_name[200 * 4 + 1];
  char hall[64], window[64];
  hw_time_ns accepted_ns, due_ns; /* due_ns: the promised due instant; 0 unknown */
  int warning_level;
} HwStoreCaseBrief;

typedef void (*HwStoreDepartmentCountFn)(const char *department, int64_t count, void *user);

/* Cases accepted and not completed, counted by department (fn in department order). */
bool hw_store_cases_in_progress(HwStore *store, const char *const *departments,
                                const char *const *halls, HwStoreDepartmentCountFn fn, void *user,
                                GError **error);

/* Running cases whose promised due instant is in (after, until] (a day: after = its 00:00,
 * until = the next day's 00:00, since a due date ends at 24:00), counted by department, and the
 * first `limit` of them by due instant then acceptance (g_free). */
bool hw_store_cases_due(HwStore *store, hw_time_ns after, hw_time_ns until,
                        const char *const *departments, const char *const *halls,
                        HwStoreDepartmentCountFn fn, void *user, size_t limit,
                        HwStoreCaseBrief **ret, size_t *ret_n, GError **error);

/* Sets a case's promised due instant (0: unknown, stored NULL); written only when it changed.
 * The warnings evaluation calls it for each case it evaluates. */
bool hw_store_case_set_promised_due(HwStore *store, int64_t case_id, hw_time_ns due_ns,
                                    GError **error);

/* Each window within halls with its latest case accepted at or after since whose department is
 * within departments (has_case false if none), by hall and code (g_free). */
typedef struct {
  int64_t window_id;
  char hall[64], code[64], name[128];
  bool has_case;
  HwStoreCaseBrief c;
} HwStoreWindowCase;

bool hw_store_window_current_cases(HwStore *store, const char *const *halls,
                                   const char *const *departments, hw_time_ns since,
                                   HwStoreWindowCase **ret, size_t *ret_n, GError **error);

/* A stage event at a window, with its case. */
typedef struct {
  int64_t event_id, case_id;
  char case_number[65], department[64], stage[32], hall[64], window[64];
  hw_time_ns time_ns;
} HwStoreWindowEvent;

/* The stage events naming window (hall, code) with time in [from, to) whose case's department
 * is within departments, in time order, appended to out (HwStoreWindowEvent), at most max in
 * all; *ret_more when more were left out. */
bool hw_store_window_events(HwStore *store, const char *hall, const char *window, hw_time_ns from,
                            hw_time_ns to, const char *const *departments, size_t max,
                            GArray *out, bool *ret_more, GError **error);

/* EXPLAIN QUERY PLAN of every statement above, "-- <name>" then one detail a line (g_free). */
char *hw_store_dashboard_plans(HwStore *store, GError **error);

G_END_DECLS
