/* The demo's simulated department feed (hallwatchd --demo): the 15 pilot departments of the
 * Jieyang plan send realistic approval cases (办件) and their stage events through the REAL
 * exchange API (POST /api/v1/exchange/batch over HTTP on loopback, each department with an API
 * token the feed makes for itself) at the demo hall's windows, at a steady pace. Some run late
 * (back-dated acceptance, short limits), some have supplements (补正) and special procedures
 * (特别程序), some break rules (approved before accepted, fee above the standard, rejection
 * without a reason), so the warnings show within minutes. Runs on its own thread. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

#include "sql/hw_store.h"

G_BEGIN_DECLS

#define HW_DEMO_HALL "JY-DEMO" /* the demo hall's code */

typedef struct HwDemoFeed HwDemoFeed;

/* Makes the demo hall (揭阳市行政服务中心) and one window per camera (W01…, each covered by its
 * camera from now on and serving a share of the departments) unless they exist, a token per
 * department, and starts a thread that every interval_ms opens one new case and sends the
 * events that fell due, to http://127.0.0.1:port. cameras: NULL-terminated ids, at least one.
 * store is borrowed and must outlive the feed. NULL with error if the store refuses. */
HwDemoFeed *hw_demo_feed_start(HwStore *store, int port, const char *const *cameras,
                               guint interval_ms, GError **error);
/* Stops the thread and frees the feed. NULL is a no-op. */
void hw_demo_feed_stop(HwDemoFeed *feed);
/* Batches answered 200 and batches that failed so far (thread-safe). */
void hw_demo_feed_counts(HwDemoFeed *feed, size_t *ret_sent, size_t *ret_failed);

/* The departments: code (445200-XXX), Chinese name; n in *ret_n. */
typedef struct {
  const char *code, *name;
  const char *items[4]; /* 事项 names */
} HwDemoDepartment;
const HwDemoDepartment *hw_demo_departments(size_t *ret_n);

G_END_DECLS
