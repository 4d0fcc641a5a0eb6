/* The route table (web/routes.c) as the server and the tests see it: one row per method and path
 * pattern with its handler and permission, and the check that refuses a row without permission.
 * The route × role test walks this same table, so a new route is tested the day it is added. */
#pragma once

#include <glib.h>

#include "web/hw_route.h"

G_BEGIN_DECLS

#define HW_ROUTE_PARAMS_MAX 4

typedef struct {
  const char *method;  /* "GET", "POST", "PUT", "PATCH" or "DELETE" */
  const char *pattern; /* "/api/v1/cameras/{id}": a {name} segment matches one path segment */
  HwRouteFn handler;
  HwPermission permission;
} HwRoute;

/* The body cap of a route that takes bodies larger than the server's (HwHttpOptions.body_max),
 * e.g. exchange batches; 0 for every other route (the server's cap applies). */
size_t hw_route_body_max(const HwRoute *route);

/* Whether a route takes a raw upload (application/zip or application/octet-stream), streamed to a
 * temporary file (HwHttpOptions.upload_dir, upload_max) instead of the JSON body cap. */
bool hw_route_takes_upload(const HwRoute *route);

/* The table (borrowed, static), *ret_n rows. */
const HwRoute *hw_routes_table(size_t *ret_n);

/* Checks every row: known method, pattern starting with '/', at most HW_ROUTE_PARAMS_MAX
 * parameters, a handler, and a permission that is given (not all zero) and coherent (a public
 * route lists no role). FALSE with error naming the first bad row. The server refuses to start on
 * FALSE. */
gboolean hw_routes_check(const HwRoute *routes, size_t n, GError **error);

/* Whether path matches pattern; on a match the {name} values (pointers into a copy owned by
 * *ret_storage, g_free it) are put in names/values, count in *ret_n_params. */
gboolean hw_route_match(const char *pattern, const char *path, const char **names,
                        const char **values, size_t *ret_n_params, char **ret_storage);

G_END_DECLS
