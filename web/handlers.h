/* The route handlers of web/ files, declared for the route table (web/routes.c). Each route file
 * adds its block here; handler contract: web/hw_route.h. */
#pragma once

#include "web/hw_route.h"

G_BEGIN_DECLS

/* web/status.c: health, metrics, camera status */
void hw_route_healthz(HwRequest *req, HwReply *reply);
void hw_route_metrics(HwRequest *req, HwReply *reply);

/* web/auth.c: sign-in, sessions, API tokens */
void hw_route_auth_login(HwRequest *req, HwReply *reply);
void hw_route_auth_logout(HwRequest *req, HwReply *reply);
void hw_route_auth_me(HwRequest *req, HwReply *reply);
void hw_route_tokens_create(HwRequest *req, HwReply *reply);
void hw_route_tokens_list(HwRequest *req, HwReply *reply);
void hw_route_tokens_revoke(HwRequest *req, HwReply *reply);
void hw_route_exchange_ping(HwRequest *req, HwReply *reply);

/* web/exchange.c: the exchange API for departments' systems */
void hw_route_exchange_batch(HwRequest *req, HwReply *reply);

/* web/audit.c: the audit log (auditors only) */
void hw_route_audit_list(HwRequest *req, HwReply *reply);
void hw_route_audit_verify(HwRequest *req, HwReply *reply);

/* web/cameras.c: camera management (cameras, halls, windows, test, snapshot) */
void hw_route_cameras_index(HwRequest *req, HwReply *reply);
void hw_route_camera_get(HwRequest *req, HwReply *reply);
void hw_route_camera_create(HwRequest *req, HwReply *reply);
void hw_route_camera_update(HwRequest *req, HwReply *reply);
void hw_route_camera_delete(HwRequest *req, HwReply *reply);
void hw_route_camera_test(HwRequest *req, HwReply *reply);
void hw_route_camera_snapshot(HwRequest *req, HwReply *reply);
void hw_route_halls_list(HwRequest *req, HwReply *reply);
void hw_route_halls_create(HwRequest *req, HwReply *reply);
void hw_route_windows_list(HwRequest *req, HwReply *reply);
void hw_route_windows_create(HwRequest *req, HwReply *reply);
void hw_route_window_update(HwRequest *req, HwReply *reply);
void hw_route_window_cameras_put(HwRequest *req, HwReply *reply);
void hw_route_window_cameras_get(HwRequest *req, HwReply *reply);

/* web/calendar.c: the working-day calendar (holidays, make-up working days) */
void hw_route_calendar_list(HwRequest *req, HwReply *reply);
void hw_route_calendar_put(HwRequest *req, HwReply *reply);
void hw_route_calendar_delete(HwRequest *req, HwReply *reply);
void hw_route_calendar_import(HwRequest *req, HwReply *reply);

/* web/cases.c: the supervisors' case queries */
void hw_route_cases_list(HwRequest *req, HwReply *reply);
void hw_route_case_get(HwRequest *req, HwReply *reply);
void hw_route_staff_events(HwRequest *req, HwReply *reply);
/* web/users.c: user management (admins) and the own-password change */
void hw_route_users_list(HwRequest *req, HwReply *reply);
void hw_route_users_create(HwRequest *req, HwReply *reply);
void hw_route_user_get(HwRequest *req, HwReply *reply);
void hw_route_user_update(HwRequest *req, HwReply *reply);
void hw_route_user_password(HwRequest *req, HwReply *reply);
void hw_route_auth_password(HwRequest *req, HwReply *reply);

/* web/live.c: live view over one WebSocket per page (docs/live.md) */
void hw_route_live(HwRequest *req, HwReply *reply);

/* web/static.c: the web interface's files (public: the app shell needs no sign-in) */
void hw_route_ui_index(HwRequest *req, HwReply *reply);
void hw_route_ui_asset(HwRequest *req, HwReply *reply);

/* web/playback.c: recorded footage (coverage, HLS playlists, the files by byte range) */
void hw_route_camera_footage(HwRequest *req, HwReply *reply);
void hw_route_camera_playlist(HwRequest *req, HwReply *reply);
void hw_route_playback_file(HwRequest *req, HwReply *reply);
void hw_route_camera_events(HwRequest *req, HwReply *reply);

/* web/case_footage.c: the footage of a case's stages */
void hw_route_case_footage(HwRequest *req, HwReply *reply);

/* web/exports.c: evidence export jobs, packages, verification, the appliance key */
void hw_route_exports_create(HwRequest *req, HwReply *reply);
void hw_route_exports_list(HwRequest *req, HwReply *reply);
void hw_route_export_get(HwRequest *req, HwReply *reply);
void hw_route_export_download(HwRequest *req, HwReply *reply);
void hw_route_export_release(HwRequest *req, HwReply *reply);
void hw_route_export_delete(HwRequest *req, HwReply *reply);
void hw_route_exports_verify(HwRequest *req, HwReply *reply);
void hw_route_key_get(HwRequest *req, HwReply *reply);

/* web/warnings.c: warnings (预警纠错), correction notices (督办), footage holds */
void hw_route_warnings_list(HwRequest *req, HwReply *reply);
void hw_route_warning_get(HwRequest *req, HwReply *reply);
void hw_route_warning_close(HwRequest *req, HwReply *reply);
void hw_route_warning_notice(HwRequest *req, HwReply *reply);
void hw_route_warning_release_hold(HwRequest *req, HwReply *reply);
void hw_route_exchange_notices(HwRequest *req, HwReply *reply);
void hw_route_exchange_notice_reply(HwRequest *req, HwReply *reply);

/* web/settings.c: the [warnings] and [retention] keys the web interface overrides */
void hw_route_settings_get(HwRequest *req, HwReply *reply);
void hw_route_settings_patch(HwRequest *req, HwReply *reply);
/* web/dashboard.c: the supervisors' dashboard (storage, warnings and cases summaries, windows) */
void hw_route_status_storage(HwRequest *req, HwReply *reply);
void hw_route_warnings_summary(HwRequest *req, HwReply *reply);
void hw_route_cases_summary(HwRequest *req, HwReply *reply);
void hw_route_status_windows(HwRequest *req, HwReply *reply);

G_END_DECLS
