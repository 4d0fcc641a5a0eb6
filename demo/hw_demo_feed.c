/* The demo's department feed (demo/hw_demo_feed.h): scenarios of cases and their events, a
 * queue of events due later, and a small HTTP/1.1 client posting batches to the real exchange
 * API with the departments' own tokens. */
#include "demo/hw_demo_feed.h"

#include <gio/gio.h>
#include <jansson.h>
#include <string.h>

#include "sql/hw_store_auth.h"
#include "web/hw_auth.h"

#define DAY (INT64_C(86400) * HW_NS_PER_S)
#define MINUTE (INT64_C(60) * HW_NS_PER_S)

static const HwDemoDepartment departments[] = {
    {"445200-HBJ",
     "揭阳市环境保护局",
     {"建设项目环境影响评价文件审批", "排污许可证核发", "危险废物经营许可证核发",
      "辐射安全许可证核发"}},
    {"445200-WJJ",
     "揭阳市对外贸易经济合作局",
     {"对外贸易经营者备案登记", "外商投资企业设立审批", "加工贸易业务批准证核发",
      "对外劳务合作经营资格核准"}},
    {"445200-JMJ",
     "揭阳市经济贸易局",
     {"企业投资项目备案", "成品油零售经营资格审核", "再生资源回收经营者备案", "酒类流通许可"}},
    {"445200-WSJ",
     "揭阳市卫生局",
     {"医疗机构执业许可", "公共场所卫生许可证核发", "医师执业注册", "母婴保健技术服务执业许可"}},
    {"445200-RSJ",
     "揭阳市劳动和社会保障局",
     {"劳务派遣经营许可", "职业介绍机构设立审批", "特殊工时制度审批", "民办职业培训学校设立审批"}},
    {"445200-GSJ",
     "揭阳市工商行政管理局",
     {"企业设立登记", "个体工商户注册登记", "企业变更登记", "广告经营许可证核发"}},
    {"445200-GAJ",
     "揭阳市公安局",
     {"户口迁移审批", "居民身份证申领", "旅馆业特种行业许可证核发", "往来港澳通行证签发"}},
    {"445200-JSJ",
     "揭阳市建设局",
     {"建筑工程施工许可证核发", "建筑业企业资质核准", "商品房预售许可", "城市建筑垃圾处置核准"}},
    {"445200-SYJ",
     "揭阳市食品药品监督管理局",
     {"药品经营许可证核发", "食品生产许可", "医疗器械经营许可", "餐饮服务许可证核发"}},
    {"445200-GTJ",
     "揭阳市国土资源局",
     {"建设用地规划审查", "国有土地使用权出让审批", "采矿许可证核发", "土地登记"}},
    {"445200-JTJ",
     "揭阳市交通局",
     {"道路运输经营许可", "机动车维修经营许可", "道路客运班线经营许可",
      "超限运输车辆行驶公路审批"}},
    {"445200-GHJ",
     "揭阳市规划局",
     {"建设项目选址意见书核发", "建设用地规划许可证核发", "建设工程规划许可证核发",
      "乡村建设规划许可证核发"}},
    {"445200-WGJ",
     "揭阳市文化广电新闻出版局",
     {"营业性演出许可证核发", "网吧经营许可证核发", "出版物零售单位设立审批",
      "卫星电视广播地面接收设施安装许可"}},
    {"445200-JYJ",
     "揭阳市教育局",
     {"民办学校设立审批", "教师资格认定", "校外培训机构设立审批", "中外合作办学审批"}},
    {"445200-MZJ",
     "揭阳市民政局",
     {"社会团体成立登记", "民办非企业单位成立登记", "婚姻登记", "养老机构设立许可"}},
};

const HwDemoDepartment *hw_demo_departments(size_t *ret_n)
{
  *ret_n = G_N_ELEMENTS(departments);
  return departments;
}

#define N_DEPTS G_N_ELEMENTS(departments)

typedef struct {
  int64_t due_mono; /* monotonic µs */
  int dept;
  json_t *record; /* "time" absent: stamped when sent */
} Pending;

struct HwDemoFeed {
  HwStore *store;
  int port;
  guint interval_ms;
  char *tokens[N_DEPTS];
  char **windows; /* window codes, NULL-terminated */
  GThread *thread;
  GMutex lock;
  GCond cond;
  bool stop;
  size_t sent, failed;
  /* thread-owned */
  GRand *rng;
  GPtrArray *pending; /* Pending* */
  int64_t seq;
};

/* ---- records ------------------------------------------------------------------------------- */

static json_t *time_json(hw_time_ns t)
{
  char buf[48];
  return json_string(hw_time_format(t, buf, sizeof buf));
}

static const char *const surnames[] = {"陈", "林", "黄", "李", "王", "张", "吴", "郑", "蔡", "许"};
static const char *const given[] = {"伟", "芳", "秀英", "志强", "丽娜", "建华", "晓明", "雪梅"};
static const char *const companies[] = {"揭阳市榕城区宏达五金制品有限公司",
                                        "揭阳市汇丰纺织有限公司", "揭阳市普宁鸿图食品有限公司",
                                        "揭阳市惠来海景旅游开发有限公司"};
static const char *const staff[] = {"陈志明", "林晓燕", "黄建国", "李丽", "王海涛", "郑秋萍"};

typedef struct {
  int dept, window;
  char number[40];
  json_t *c; /* the case record */
} Case;

static void push(HwDemoFeed *f, int dept, int64_t delay_s, json_t *record)
{
  Pending *p = g_new0(Pending, 1);
  p->due_mono = g_get_monotonic_time() + delay_s * G_USEC_PER_SEC;
  p->dept = dept;
  p->record = record;
  g_ptr_array_add(f->pending, p);
}

/* A stage event of case k; time 0: stamped when sent. */
static json_t *event(HwDemoFeed *f, const Case *k, const char *stage, hw_time_ns time,
                     const char *opinion)
{
  int op = g_rand_int_range(f->rng, 0, G_N_ELEMENTS(staff));
  g_autofree char *id =
      g_strdup_printf("%s-EV-%08" G_GINT64_FORMAT, departments[k->dept].code + 7, ++f->seq);
  g_autofree char *op_id = g_strdup_printf("%s%03d", departments[k->dept].code + 7, op + 1);
  json_t *e = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "type", "stage_event", "department",
                        departments[k->dept].code, "case_number", k->number, "event_id", id,
                        "stage", stage, "operator_id", op_id, "operator_name", staff[op]);
  if (time)
    json_object_set_new(e, "time", time_json(time));
  if (strcmp(stage, "ticket_called") == 0 || strcmp(stage, "accepted") == 0 ||
      strcmp(stage, "submitted") == 0 || strcmp(stage, "certificate_collected") == 0) {
    json_object_set_new(e, "hall", json_string(HW_DEMO_HALL));
    json_object_set_new(e, "window", json_string(f->windows[k->window]));
  }
  if (strcmp(stage, "ticket_called") == 0)
    json_object_set(e, "queue_ticket", json_object_get(k->c, "queue_ticket"));
  if (strcmp(stage, "completed") == 0)
    json_object_set_new(e, "outcome", json_string(opinion ? "certificate_issued" : "returned"));
  if (opinion)
    json_object_set_new(e, "opinion", json_string(opinion));
  return e;
}

static Case new_case(HwDemoFeed *f, hw_time_ns accepted, int promised, int statutory)
{
  Case k = {0};
  k.dept = (int)(f->seq % N_DEPTS);
  size_t n_windows = g_strv_length(f->windows);
  k.window = (int)((size_t)k.dept % n_windows);
  const HwDemoDepartment *d = &departments[k.dept];
  g_autoptr(GDateTime) now = g_date_time_new_now_local();
  g_autofree char *day = g_date_time_format(now, "%Y%m%d");
  g_snprintf(k.number, sizeof k.number, "445200%s%08" G_GINT64_FORMAT, day, ++f->seq);
  int item = g_rand_int_range(f->rng, 0, 4);
  g_autofree char *item_code = g_strdup_printf("11445200-%s-%03d", d->code + 7, item + 1);
  bool company = g_rand_boolean(f->rng);
  g_autofree char *name =
      company ? g_strdup(companies[g_rand_int_range(f->rng, 0, G_N_ELEMENTS(companies))])
              : g_strconcat(surnames[g_rand_int_range(f->rng, 0, G_N_ELEMENTS(surnames))],
                            given[g_rand_int_range(f->rng, 0, G_N_ELEMENTS(given))], NULL);
  g_autofree char *id_number =
      company ? g_strdup_printf("91445200MA%08X", g_rand_int(f->rng) & 0x7fffffff)
              : g_strdup_printf("445202%04d%02d%02d%04d", g_rand_int_range(f->rng, 1950, 2005),
                                g_rand_int_range(f->rng, 1, 13), g_rand_int_range(f->rng, 1, 29),
                                g_rand_int_range(f->rng, 0, 10000));
  g_autofree char *ticket = g_strdup_printf("%c%03d", 'A' + k.window, (int)(f->seq % 1000));
  k.c = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o,"
                  " s:s, s:i, s:s, s:i, s:s, s:i, s:i, s:s}",
                  "type", "case", "department", d->code, "case_number", k.number, "version", 1,
                  "item_code", item_code, "item_name", d->items[item], "applicant_type",
                  company ? "company" : "person", "applicant_name", name, "applicant_id_type",
                  company ? "统一社会信用代码" : "居民身份证", "applicant_id_number", id_number,
                  "division_code", "445200", "hall", HW_DEMO_HALL, "window", f->windows[k.window],
                  "queue_ticket", ticket, "accepted_at", time_json(accepted), "acceptance",
                  "accepted", "statutory_limit", statutory, "statutory_limit_unit", "working_days",
                  "promised_limit", promised, "promised_limit_unit", "working_days",
                  "fee_charged_fen", 0, "fee_standard_fen", 0, "secrecy", "none");
  return k;
}

/* The case's next version with result (sent with its completion). */
static json_t *case_result(const Case *k, const char *result)
{
  json_t *c = json_deep_copy(k->c);
  json_object_set_new(c, "version", json_integer(2));
  json_object_set_new(c, "result", json_string(result));
  return c;
}

/* Arrival at the window and acceptance, now (the case first, then its events). */
static void open_case(HwDemoFeed *f, const Case *k, hw_time_ns accepted)
{
  push(f, k->dept, 0, json_incref(k->c));
  push(f, k->dept, 0, event(f, k, "ticket_called", accepted - 6 * MINUTE, NULL));
  push(f, k->dept, 0, event(f, k, "submitted", accepted - 3 * MINUTE, NULL));
  push(f, k->dept, 0, event(f, k, "accepted", accepted, "材料齐全，予以受理"));
}

/* The rest of a normal case, from `after` seconds on, one stage every `step` seconds. */
static void finish_case(HwDemoFeed *f, const Case *k, int after, int step)
{
  push(f, k->dept, after, event(f, k, "undertaken", 0, "已承办"));
  push(f, k->dept, after + step, event(f, k, "reviewed", 0, "审核通过"));
  push(f, k->dept, after + 2 * step, event(f, k, "approved", 0, "同意"));
  push(f, k->dept, after + 3 * step, case_result(k, "approved"));
  push(f, k->dept, after + 3 * step, event(f, k, "completed", 0, "准予许可"));
  push(f, k->dept, after + 4 * step, event(f, k, "certificate_collected", 0, NULL));
}

/* One new case of a scenario picked by weight. */
static void scenario(HwDemoFeed *f)
{
  hw_time_ns now = hw_time_now();
  int r = g_rand_int_range(f->rng, 0, 100);
  if (r < 40) { /* normal, done in a few minutes */
    Case k = new_case(f, now, 10, 20);
    open_case(f, &k, now);
    finish_case(f, &k, 20, 30);
    json_decref(k.c);
  } else if (r < 50) { /* accepted 9 days ago on an 8-day promise: yellow (2/3 used, 1 day left) */
    Case k = new_case(f, now - 9 * DAY, 8, 20);
    open_case(f, &k, now - 9 * DAY);
    push(f, k.dept, 0, event(f, &k, "undertaken", now - 8 * DAY, "已承办"));
    json_decref(k.c);
  } else if (r < 58) { /* accepted 16 days ago on a 5-day promise: red, still open */
    Case k = new_case(f, now - 16 * DAY, 5, 20);
    open_case(f, &k, now - 16 * DAY);
    push(f, k.dept, 0, event(f, &k, "undertaken", now - 15 * DAY, "已承办"));
    push(f, k.dept, 0, event(f, &k, "reviewed", now - 3 * DAY, NULL));
    json_decref(k.c);
  } else if (r < 63) { /* a 1-working-day promise: within a day of it at once */
    Case k = new_case(f, now, 1, 5);
    open_case(f, &k, now);
    push(f, k.dept, 30, event(f, &k, "undertaken", 0, "已承办"));
    json_decref(k.c);
  } else if (r < 73) { /* supplement requested and received (补正), then done */
    Case k = new_case(f, now, 10, 20);
    open_case(f, &k, now);
    push(f, k.dept, 20,
         event(f, &k, "supplement_requested", 0, "申请材料不齐全，请补正：缺少营业执照副本复印件"));
    push(f, k.dept, 80, event(f, &k, "supplement_received", 0, "已收到补正材料"));
    finish_case(f, &k, 100, 30);
    json_decref(k.c);
  } else if (r < 81) { /* special procedure (特别程序: expert review), the clock stops */
    Case k = new_case(f, now, 15, 20);
    open_case(f, &k, now);
    push(f, k.dept, 20, event(f, &k, "undertaken", 0, "已承办"));
    push(f, k.dept, 40, event(f, &k, "special_procedure_started", 0, "组织专家评审（特别程序）"));
    push(f, k.dept, 160, event(f, &k, "special_procedure_ended", 0, "专家评审结束"));
    finish_case(f, &k, 180, 30);
    json_decref(k.c);
  } else if (r < 87) { /* rule broken: approved an hour before it was accepted */
    Case k = new_case(f, now, 10, 20);
    open_case(f, &k, now);
    push(f, k.dept, 0, event(f, &k, "approved", now - 60 * MINUTE, "同意"));
    json_decref(k.c);
  } else if (r < 94) { /* rule broken: fee above the standard (收费超标) */
    Case k = new_case(f, now, 10, 20);
    json_object_set_new(k.c, "fee_charged_fen", json_integer(80000));
    json_object_set_new(k.c, "fee_standard_fen", json_integer(50000));
    open_case(f, &k, now);
    finish_case(f, &k, 20, 30);
    json_decref(k.c);
  } else { /* rule broken: rejected without a reason (no opinion) */
    Case k = new_case(f, now, 10, 20);
    open_case(f, &k, now);
    push(f, k.dept, 20, event(f, &k, "undertaken", 0, NULL));
    push(f, k.dept, 40, case_result(&k, "rejected"));
    push(f, k.dept, 40, event(f, &k, "completed", 0, NULL));
    json_decref(k.c);
  }
}

/* ---- sending ------------------------------------------------------------------------------- */

/* POSTs {"records": records} with department d's token; the HTTP status, 0 if unreachable. */
static int post(HwDemoFeed *f, int d, json_t *records)
{
  json_t *doc = json_pack("{s:O}", "records", records);
  char *body = json_dumps(doc, JSON_COMPACT);
  json_decref(doc);
  g_autoptr(GString) raw = g_string_new(NULL);
  g_string_append_printf(raw,
                         "POST /api/v1/exchange/batch HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         "Connection: close\r\nContent-Type: application/json\r\n"
                         "Authorization: Bearer %s\r\nContent-Length: %zu\r\n\r\n%s",
                         f->tokens[d], strlen(body), body);
  free(body);
  g_autoptr(GSocketClient) client = g_socket_client_new();
  g_socket_client_set_timeout(client, 30);
  g_autoptr(GSocketConnection) conn =
      g_socket_client_connect_to_host(client, "127.0.0.1", (guint16)f->port, NULL, NULL);
  if (conn == NULL)
    return 0;
  if (!g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(conn)), raw->str,
                                 raw->len, NULL, NULL, NULL))
    return 0;
  char head[16] = {0};
  gsize got = 0;
  g_input_stream_read_all(g_io_stream_get_input_stream(G_IO_STREAM(conn)), head, 12, &got, NULL,
                          NULL);
  return got >= 12 ? atoi(head + 9) : 0;
}

static void pending_free(gpointer p)
{
  json_decref(((Pending *)p)->record);
  g_free(p);
}

/* Sends every due record, one batch per department, in the order they were queued. */
static void send_due(HwDemoFeed *f)
{
  int64_t now_mono = g_get_monotonic_time();
  hw_time_ns now = hw_time_now();
  json_t *batches[N_DEPTS] = {0};
  for (guint i = 0; i < f->pending->len;) {
    Pending *p = f->pending->pdata[i];
    if (p->due_mono > now_mono) {
      i++;
      continue;
    }
    if (strcmp(json_string_value(json_object_get(p->record, "type")), "stage_event") == 0 &&
        json_object_get(p->record, "time") == NULL)
      json_object_set_new(p->record, "time", time_json(now));
    if (batches[p->dept] == NULL)
      batches[p->dept] = json_array();
    json_array_append(batches[p->dept], p->record);
    g_ptr_array_remove_index(f->pending, i); /* keeps the order */
  }
  for (size_t d = 0; d < N_DEPTS; d++) {
    if (batches[d] == NULL)
      continue;
    int status = post(f, (int)d, batches[d]);
    g_mutex_lock(&f->lock);
    if (status == 200)
      f->sent++;
    else
      f->failed++;
    g_mutex_unlock(&f->lock);
    if (status != 200)
      g_warning("demo feed: %s: the exchange API answered %d", departments[d].code, status);
    json_decref(batches[d]);
  }
}

static gpointer feed_thread(gpointer user)
{
  HwDemoFeed *f = user;
  g_mutex_lock(&f->lock);
  while (!f->stop) {
    g_mutex_unlock(&f->lock);
    scenario(f);
    send_due(f);
    g_mutex_lock(&f->lock);
    int64_t until = g_get_monotonic_time() + (int64_t)f->interval_ms * 1000;
    while (!f->stop && g_cond_wait_until(&f->cond, &f->lock, until))
      ;
  }
  g_mutex_unlock(&f->lock);
  return NULL;
}

/* ---- set-up ------------------------------------------------------------------------------- */

static bool hall_and_windows(HwDemoFeed *f, const char *const *cameras, GError **error)
{
  HwStoreHall hall = {0};
  g_strlcpy(hall.code, HW_DEMO_HALL, sizeof hall.code);
  g_strlcpy(hall.name, "揭阳市行政服务中心（演示）", sizeof hall.name);
  GError *e = NULL;
  if (!hw_store_hall_add(f->store, &hall, &e)) {
    if (!g_error_matches(e, HW_STORE_ERROR, HW_STORE_ERROR_EXISTS)) {
      g_propagate_error(error, e);
      return false;
    }
    g_clear_error(&e);
  }
  size_t n = g_strv_length((char **)cameras);
  f->windows = g_new0(char *, n + 1);
  for (size_t i = 0; i < n; i++) {
    HwStoreWindow w = {0};
    g_strlcpy(w.hall, HW_DEMO_HALL, sizeof w.hall);
    g_snprintf(w.code, sizeof w.code, "W%02zu", i + 1);
    g_snprintf(w.name, sizeof w.name, "%zu 号综合窗口", i + 1);
    GString *depts = g_string_new("[");
    for (size_t d = i; d < N_DEPTS; d += n)
      g_string_append_printf(depts, "%s\"%s\"", d == i ? "" : ",", departments[d].code);
    g_string_append_c(depts, ']');
    g_strlcpy(w.departments, depts->str, sizeof w.departments);
    g_string_free(depts, TRUE);
    f->windows[i] = g_strdup(w.code);
    int64_t id;
    if (!hw_store_window_add(f->store, &w, &id, &e)) {
      if (!g_error_matches(e, HW_STORE_ERROR, HW_STORE_ERROR_EXISTS)) {
        g_propagate_error(error, e);
        return false;
      }
      g_clear_error(&e);
      continue; /* a window of an earlier run keeps its cameras */
    }
    const char *cam[] = {cameras[i]};
    if (!hw_store_window_set_cameras(f->store, id, cam, 1, hw_time_now(), error))
      return false;
  }
  return true;
}

HwDemoFeed *hw_demo_feed_start(HwStore *store, int port, const char *const *cameras,
                               guint interval_ms, GError **error)
{
  g_return_val_if_fail(store && cameras && cameras[0] && interval_ms > 0, NULL);
  HwDemoFeed *f = g_new0(HwDemoFeed, 1);
  f->store = store;
  f->port = port;
  f->interval_ms = interval_ms;
  g_mutex_init(&f->lock);
  g_cond_init(&f->cond);
  f->rng = g_rand_new();
  f->pending = g_ptr_array_new_with_free_func(pending_free);
  if (!hall_and_windows(f, cameras, error))
    goto fail;
  for (size_t d = 0; d < N_DEPTS; d++) {
    f->tokens[d] = hw_auth_token_new("hwt_");
    char hash[65];
    hw_auth_token_hash(f->tokens[d], hash);
    if (!hw_store_token_add(store, departments[d].code, "演示部门审批系统 / demo feed", hash,
                            hw_time_now(), NULL, error))
      goto fail;
  }
  f->thread = g_thread_new("demo-feed", feed_thread, f);
  return f;

fail:
  hw_demo_feed_stop(f);
  return NULL;
}

void hw_demo_feed_stop(HwDemoFeed *f)
{
  if (f == NULL)
    return;
  if (f->thread) {
    g_mutex_lock(&f->lock);
    f->stop = true;
    g_cond_signal(&f->cond);
    g_mutex_unlock(&f->lock);
    g_thread_join(f->thread);
  }
  for (size_t d = 0; d < N_DEPTS; d++)
    g_free(f->tokens[d]);
  g_strfreev(f->windows);
  g_ptr_array_free(f->pending, TRUE);
  g_rand_free(f->rng);
  g_mutex_clear(&f->lock);
  g_cond_clear(&f->cond);
  g_free(f);
}

void hw_demo_feed_counts(HwDemoFeed *f, size_t *ret_sent, size_t *ret_failed)
{
  g_mutex_lock(&f->lock);
  *ret_sent = f->sent;
  *ret_failed = f->failed;
  g_mutex_unlock(&f->lock);
}
