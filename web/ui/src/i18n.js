// The one translation table of the interface: every string a person reads is here, zh-CN first,
// English second. Keys are "<page>.<what>"; a page adds its own block. "{name}" in a string is
// filled from t()'s params. The language chosen is remembered in this browser (localStorage).
// build.mjs refuses a build where a key used in src/ is missing, a string is empty, or the two
// languages disagree on their {placeholders}.

export const LANGS = ['zh-CN', 'en'];
const STORAGE_KEY = 'hallwatch.lang';

export const TABLE = {
  // ---- the shell --------------------------------------------------------------------------------
  'app.title': ['HallWatch 办事大厅视频监察', 'HallWatch hall video supervision'],
  'app.language': ['界面语言', 'Language'],
  'app.navigation': ['导航', 'Navigation'],
  'app.sign_out': ['退出登录', 'Sign out'],
  'app.scope_halls': ['限于大厅 {halls}', 'halls {halls} only'],
  'app.slot_badge': ['待接入', 'coming'],
  'app.no_pages': ['此角色没有可用的页面。', 'This role has no pages.'],
  'app.page_failed': ['页面无法加载：{message}', 'The page could not be loaded: {message}'],
  'app.footer_zone': ['时间均按大厅时区显示（默认 {zone}）', 'Times are shown in the hall’s time zone (default {zone})'],
  'lang.zh-CN': ['中文', '中文'],
  'lang.en': ['English', 'English'],

  'role.admin': ['系统管理员', 'Administrator'],
  'role.auditor': ['审计员', 'Auditor'],
  'role.supervisor': ['监察员', 'Supervisor'],
  'role.hall_manager': ['大厅管理员', 'Hall manager'],
  'role.investigator': ['调查人员', 'Investigator'],
  'role.viewer': ['查看者', 'Viewer'],

  'nav.dashboard': ['实时监控', 'Dashboard'],
  'nav.cases': ['办件查询', 'Cases'],
  'nav.live': ['视频墙', 'Live wall'],
  'nav.footage': ['录像回放', 'Footage'],
  'nav.cameras': ['摄像机管理', 'Cameras'],
  'nav.exports': ['证据导出', 'Exports'],
  'nav.users': ['用户与角色', 'Users and roles'],
  'nav.tokens': ['部门接口令牌', 'Department tokens'],
  'nav.reports': ['统计报表', 'Reports'],
  'nav.audit': ['审计日志', 'Audit log'],

  'common.save': ['保存', 'Save'],
  'common.cancel': ['取消', 'Cancel'],
  'common.close': ['关闭', 'Close'],
  'common.add': ['添加', 'Add'],
  'common.edit': ['编辑', 'Edit'],
  'common.loading': ['正在加载…', 'Loading…'],
  'common.load_failed': ['加载失败：{message}', 'Could not load: {message}'],
  'common.field_error': ['{field}：{message}', '{field}: {message}'],

  'time.seconds_ago': ['{n} 秒前', '{n} s ago'],
  'time.minutes_ago': ['{n} 分钟前', '{n} min ago'],
  'time.hours_ago': ['{n} 小时前', '{n} h ago'],
  'time.days_ago': ['{n} 天前', '{n} days ago'],

  // ---- sign-in ----------------------------------------------------------------------------------
  'signin.title': ['登录', 'Sign in'],
  'signin.subtitle': ['行政审批电子监察 · 请使用您的账户登录', 'Electronic supervision of approvals · sign in with your account'],
  'signin.username': ['用户名', 'User name'],
  'signin.password': ['密码', 'Password'],
  'signin.submit': ['登录', 'Sign in'],
  'signin.checking': ['正在验证…', 'Checking…'],
  'signin.missing_fields': ['请输入用户名和密码。', 'Enter your user name and password.'],
  'signin.bad_credentials': ['用户名或密码错误。', 'Wrong user name or password.'],
  'signin.locked': ['该账户因多次登录失败已被锁定，请稍后再试或联系管理员解锁。', 'This account is locked after too many failed sign-ins; try again later or ask an administrator to unlock it.'],
  'signin.locked_until': ['该账户因多次登录失败已被锁定，请于 {until} 之后再试，或联系管理员解锁。', 'This account is locked after too many failed sign-ins; try again after {until}, or ask an administrator to unlock it.'],
  'signin.rate_limited': ['此计算机登录失败次数过多，请稍后再试。', 'Too many failed sign-ins from this computer; try again later.'],
  'signin.rate_limited_until': ['此计算机登录失败次数过多，请于 {until} 之后再试。', 'Too many failed sign-ins from this computer; try again after {until}.'],
  'signin.audit_failed': ['审计日志暂时无法记录，登录不可用，请联系管理员。', 'The audit log cannot record sign-ins right now, so signing in is unavailable; tell an administrator.'],
  'signin.server_unreachable': ['无法连接服务器，请检查网络。', 'The server cannot be reached; check the network.'],
  'signin.failed': ['登录失败：{message}', 'Sign-in failed: {message}'],
  'signin.session_expired': ['会话已过期，请重新登录。', 'Your session has expired; sign in again.'],
  'signin.signed_out': ['您已退出登录，请重新登录。', 'You are signed out; sign in again.'],

  // ---- live wall (src/pages/live.js) -------------------------------------------------------------
  'live.layout': ['画面布局', 'Layout'],
  'live.layout_n': ['{n} 路画面', '{n} tiles'],
  'live.prev': ['上一页', 'Previous'],
  'live.next': ['下一页', 'Next'],
  'live.page': ['第 {page}/{pages} 页', 'Page {page} of {pages}'],
  'live.count': ['共 {n} 路摄像机；点击画面放大，再次点击或按 Esc 还原。', '{n} cameras; click a tile to enlarge it, click again or press Esc to go back.'],
  'live.no_cameras': ['没有可查看的摄像机。', 'No cameras to show.'],
  'live.no_hall': ['未分配大厅', 'No hall'],
  'live.window': ['{code} 号窗口', 'window {code}'],
  'live.window_named': ['{code} 号窗口（{name}）', 'window {code} ({name})'],
  'live.no_window': ['未关联窗口', 'no window'],
  'live.enlarge': ['点击放大/还原', 'Click to enlarge or go back'],
  'live.empty': ['空闲', 'Free'],
  'live.connecting': ['正在连接…', 'Connecting…'],
  'live.state_connecting': ['正在连接…', 'Connecting…'],
  'live.state_playing': ['播放中', 'Playing'],
  'live.state_offline': ['摄像机离线', 'Camera offline'],
  'live.state_unsupported': ['此浏览器无法播放该画面', 'This browser cannot play this picture'],
  'live.state_error': ['播放出错', 'Playback error'],

  // ---- footage browser (src/pages/footage.js) ------------------------------------------------------
  'footage.camera': ['摄像机', 'Camera'],
  'footage.from': ['开始时间', 'From'],
  'footage.to': ['结束时间', 'To'],
  'footage.show': ['查看录像', 'Show footage'],
  'footage.timeline': ['时间轴（点击任意时刻开始播放）', 'Timeline (click any instant to play from it)'],
  'footage.click_to_play': ['点击从该时刻播放', 'Click to play from this instant'],
  'footage.legend_covered': ['有录像', 'Recorded'],
  'footage.legend_gap': ['无录像（悬停查看原因）', 'No footage (hover for the reason)'],
  'footage.capture_time': ['画面拍摄时间：', 'Capture time of this picture:'],
  'footage.playing_from': ['从 {time} 开始播放', 'Playing from {time}'],
  'footage.no_gaps': ['所选时段录像完整，没有缺口。', 'The range is fully recorded, no gaps.'],
  'footage.nothing': ['所选时段没有录像。', 'Nothing is recorded in this range.'],
  'footage.truncated': ['时段过长，只显示了前一部分；请缩小时段。', 'The range is too long and only its first part is shown; choose a shorter one.'],
  'footage.pick_camera': ['请选择摄像机。', 'Choose a camera.'],
  'footage.bad_range': ['请填写有效的开始和结束时间，结束须晚于开始。', 'Enter a valid start and end; the end must be after the start.'],
  'footage.range_too_long': ['一次最多查看 12 小时。', 'At most 12 hours at a time.'],
  'footage.no_cameras': ['没有可查看的摄像机。', 'No cameras to show.'],
  'footage.no_footage_here': ['{time} 附近没有录像，请点击时间轴上的绿色部分。', 'No footage around {time}; click a green part of the timeline.'],
  'footage.play_failed': ['播放失败：{message}', 'Playback failed: {message}'],
  'footage.reason_camera_unreachable': ['摄像机无法连接', 'Camera unreachable'],
  'footage.reason_auth_refused': ['摄像机拒绝登录', 'Camera refused the credentials'],
  'footage.reason_stream_stalled': ['视频流中断', 'Stream stalled'],
  'footage.reason_stream_error': ['视频流错误', 'Stream error'],
  'footage.reason_daemon_down': ['录像服务未运行', 'Recorder not running'],
  'footage.reason_disk_floor': ['磁盘空间不足', 'Disk full'],
  'footage.reason_clock_step': ['时钟跳变', 'Clock step'],
  'footage.reason_storage_error': ['存储错误', 'Storage error'],
  'footage.reason_expired': ['录像已过保存期', 'Footage expired'],
  'footage.reason_pending': ['刚刚录制，尚未入库', 'Just recorded, not indexed yet'],
  'footage.reason_not_recorded': ['未录像', 'Not recorded'],

  // ---- placeholders of pages whose API is not there yet (src/pages/slot.js) ---------------------
  'slot.coming': ['此页面将在相应接口就绪后提供。', 'This page arrives with its API.'],
  'slot.cases': ['办件检索、办件详情与环节录像回放。', 'Case search, the case view and each stage’s footage.'],
  'slot.exports': ['按办件环节或时间段导出可验证的证据包。', 'Verifiable evidence exports by case stage or time range.'],
  'slot.users': ['用户、角色与大厅范围的管理。', 'Users, roles and hall scopes.'],
  'slot.reports': ['绩效评估与统计报表。', 'Performance evaluation and statistics.'],

  // ---- camera health (src/health.js) ------------------------------------------------------------
  'health.recording': ['录像中', 'Recording'],
  'health.reconnecting': ['重连中', 'Reconnecting'],
  'health.down': ['故障', 'Down'],
  'health.disabled': ['已停用', 'Disabled'],
  'health.starting': ['启动中', 'Starting'],
  'health.since': ['自 {time}（{ago}）', 'since {time} ({ago})'],

  // ---- dashboard --------------------------------------------------------------------------------
  'dashboard.camera_health': ['摄像机状态', 'Camera health'],
  'dashboard.no_cameras': ['尚未配置摄像机。', 'No cameras yet.'],
  'dashboard.updated': ['更新于 {time}，每 5 秒自动刷新', 'Updated {time}; refreshes every 5 s'],
  'dashboard.storage': ['磁盘用量与录像保留期', 'Disk use and retention'],
  'dashboard.storage_slot': ['待存储状态接口提供后显示磁盘用量与“录像保留至某日”。', 'Disk use and “footage kept back to …” appear once the storage status API exists.'],
  'dashboard.warnings': ['预警', 'Warnings'],
  'dashboard.warnings_slot': ['待办件接口提供后按级别与部门显示未关闭的预警。', 'Open warnings by level and department appear with the case API.'],
  'dashboard.cases': ['办理中与今日到期办件', 'Cases in progress and due today'],
  'dashboard.cases_slot': ['待办件接口提供后显示。', 'Shown once the case API exists.'],

  // ---- cameras, halls, windows -------------------------------------------------------------------
  'cameras.tab_cameras': ['摄像机', 'Cameras'],
  'cameras.tab_halls': ['大厅', 'Halls'],
  'cameras.tab_windows': ['窗口与摄像机对应', 'Windows and cameras'],
  'cameras.filter_hall': ['大厅', 'Hall'],
  'cameras.all_halls': ['全部大厅', 'All halls'],
  'cameras.add': ['添加摄像机', 'Add camera'],
  'cameras.add_title': ['添加摄像机', 'Add a camera'],
  'cameras.edit_title': ['编辑摄像机 {id}', 'Edit camera {id}'],
  'cameras.none': ['没有摄像机。', 'No cameras.'],
  'cameras.col_camera': ['摄像机', 'Camera'],
  'cameras.col_hall': ['大厅', 'Hall'],
  'cameras.col_health': ['状态', 'Health'],
  'cameras.col_stream': ['码流', 'Stream'],
  'cameras.col_windows': ['覆盖窗口', 'Windows'],
  'cameras.from_config': ['配置文件提供（只读）', 'from the configuration file (read-only)'],
  'cameras.enable': ['启用', 'Enable'],
  'cameras.disable': ['停用', 'Disable'],
  'cameras.test': ['测试连接', 'Test connection'],
  'cameras.test_title': ['测试连接：{id}', 'Connection test: {id}'],
  'cameras.testing': ['正在连接摄像机（最多 10 秒）…', 'Connecting to the camera (at most 10 s)…'],
  'cameras.test_failed': ['连接失败', 'Connection failed'],
  'cameras.test_reason.auth_refused': ['摄像机拒绝了用户名或密码。', 'The camera refused the user name or password.'],
  'cameras.test_reason.unreachable': ['无法连接到该地址。', 'The address cannot be reached.'],
  'cameras.test_reason.timeout': ['连接超时。', 'The connection timed out.'],
  'cameras.test_reason.no_video': ['该码流中没有视频。', 'The stream has no video.'],
  'cameras.test_reason.decode_failed': ['画面无法解码。', 'The picture cannot be decoded.'],
  'cameras.test_reason.error': ['发生错误。', 'An error occurred.'],
  'cameras.latest_picture': ['最新画面', 'Latest picture'],
  'cameras.latest_picture_title': ['最新画面：{id}', 'Latest picture: {id}'],
  'cameras.snapshot_alt': ['摄像机画面', 'Camera picture'],
  'cameras.snapshot_audited': ['查看画面已记入审计日志。', 'This view is recorded in the audit log.'],
  'cameras.no_footage': ['该摄像机还没有录像。', 'This camera has no footage yet.'],
  'cameras.codec': ['编码', 'Codec'],
  'cameras.resolution': ['分辨率', 'Resolution'],
  'cameras.fps': ['帧率', 'Frame rate'],
  'cameras.audio_label': ['音频', 'Audio'],
  'cameras.audio': ['音频 {codec}', 'audio {codec}'],
  'cameras.no_audio': ['无', 'none'],
  'cameras.id': ['编号', 'Id'],
  'cameras.id_hint': ['字母、数字和 . _ -，保存后不能更改', 'Letters, digits and . _ -; cannot change later'],
  'cameras.name': ['名称', 'Name'],
  'cameras.url': ['RTSP 地址', 'RTSP address'],
  'cameras.url_hint': ['rtsp:// 或 rtsps://，不含用户名密码', 'rtsp:// or rtsps://, without user name or password'],
  'cameras.transport': ['传输方式', 'Transport'],
  'cameras.username': ['摄像机用户名', 'Camera user name'],
  'cameras.password': ['摄像机密码', 'Camera password'],
  'cameras.password_hint': ['只写入，不会显示', 'Write-only: never shown again'],
  'cameras.unchanged': ['（不变）', '(unchanged)'],
  'cameras.hall': ['所属大厅', 'Hall'],
  'cameras.no_hall': ['（不属于任何大厅）', '(no hall)'],
  'cameras.retain_days': ['保留天数', 'Keep for days'],
  'cameras.retain_hint': ['0 表示使用全局设置', '0: the global setting'],
  'cameras.enabled': ['启用录像', 'Recording enabled'],
  'cameras.need_id_url': ['请先填写编号和 RTSP 地址。', 'Fill in the id and the RTSP address first.'],
  'cameras.hall_code': ['大厅代码', 'Hall code'],
  'cameras.hall_name': ['大厅名称', 'Hall name'],
  'cameras.hall_name_example': ['市政务服务中心一楼', 'City service centre, ground floor'],
  'cameras.time_zone': ['时区', 'Time zone'],
  'cameras.add_hall': ['添加大厅', 'Add a hall'],
  'cameras.no_halls': ['还没有大厅。', 'No halls yet.'],
  'cameras.add_window': ['添加窗口', 'Add a window'],
  'cameras.no_windows': ['还没有窗口。', 'No windows yet.'],
  'cameras.window_code': ['窗口号', 'Window'],
  'cameras.window_name': ['窗口名称', 'Window name'],
  'cameras.window_name_example': ['税务综合窗口', 'Tax window'],
  'cameras.departments': ['部门', 'Departments'],
  'cameras.departments_hint': ['部门代码，以逗号分隔', 'Department codes, comma-separated'],
  'cameras.cameras_now': ['当前摄像机', 'Cameras now'],
  'cameras.no_camera': ['（无）', '(none)'],
  'cameras.change_cameras': ['更改摄像机', 'Change cameras'],
  'cameras.map_title': ['窗口 {window} 的摄像机', 'Cameras of window {window}'],
  'cameras.map_help': ['勾选从某一时刻起覆盖此窗口的摄像机。以前的对应关系会保留在历史中，旧办件仍能找到当时的摄像机。', 'Tick the cameras that cover this window from the time below. Earlier mappings stay in the history, so old cases still find the camera of their time.'],
  'cameras.map_from': ['生效时间', 'From'],
  'cameras.in_zone': ['按 {zone} 时间', 'in {zone}'],
  'cameras.history': ['历史', 'History'],
  'cameras.history_title': ['窗口 {window} 的摄像机历史', 'Camera history of window {window}'],
  'cameras.history_help': ['查询任一时刻覆盖此窗口的摄像机。', 'Which cameras covered this window at any time.'],
  'cameras.history_at': ['时刻', 'At'],
  'cameras.history_ask': ['查询', 'Look up'],

  // ---- department tokens ------------------------------------------------------------------------
  'tokens.intro': ['部门审批系统使用这些令牌通过数据交换接口推送办件数据。每个令牌只能写入其所属部门的办件。', 'Departments’ approval systems push case data through the exchange API with these tokens. Each token writes only its own department’s cases.'],
  'tokens.create': ['创建令牌', 'Create token'],
  'tokens.department': ['部门代码', 'Department code'],
  'tokens.department_hint': ['字母、数字和 . _ -', 'Letters, digits and . _ -'],
  'tokens.name': ['用途说明', 'Name'],
  'tokens.name_example': ['税务局审批系统', 'Tax bureau approval system'],
  'tokens.created': ['创建时间', 'Created'],
  'tokens.state': ['状态', 'State'],
  'tokens.valid': ['有效', 'Valid'],
  'tokens.revoked_at': ['已于 {time} 吊销', 'Revoked {time}'],
  'tokens.revoke': ['吊销', 'Revoke'],
  'tokens.revoke_title': ['吊销令牌', 'Revoke the token'],
  'tokens.revoke_confirm': ['吊销部门 {department} 的令牌“{name}”？使用它的系统将立即无法推送数据，且无法撤销。', 'Revoke the token “{name}” of department {department}? Systems using it stop at once; this cannot be undone.'],
  'tokens.none': ['还没有令牌。', 'No tokens yet.'],
  'tokens.shown_once': ['请立即复制此令牌：它只显示这一次，服务器只保存其摘要。', 'Copy this token now: it is shown only once, the server keeps only its hash.'],
  'tokens.created_for': ['部门 {department} 的令牌“{name}”：', 'Token “{name}” of department {department}:'],
  'tokens.copy': ['复制', 'Copy'],
  'tokens.copied': ['已复制', 'Copied'],
  'tokens.done': ['我已保存', 'I have saved it'],

  // ---- audit log --------------------------------------------------------------------------------
  'audit.verifying': ['正在验证审计链…', 'Verifying the chain…'],
  'audit.verify_ok': ['审计链完整，签名有效', 'The chain is intact and its signatures are valid'],
  'audit.verify_bad': ['审计链验证失败', 'The chain does not verify'],
  'audit.verify_facts': ['共 {rows} 条（最后序号 {last}），{heads} 次签名，最后签名覆盖至第 {signed} 条，签名时间 {at}', '{rows} rows (last {last}), {heads} signed heads, the last covering row {signed}, signed {at}'],
  'audit.verify_unsigned': ['{n} 条尚未签名（自 {since}）', '{n} rows not yet signed (since {since})'],
  'audit.verify_first_bad': ['第一处不一致：第 {seq} 条', 'First mismatch: row {seq}'],
  'audit.verify_again': ['重新验证', 'Verify again'],
  'audit.public_key': ['设备公钥：{key}', 'Appliance public key: {key}'],
  'audit.from': ['起始时间', 'From'],
  'audit.to': ['截止时间', 'To'],
  'audit.actor': ['操作人', 'Actor'],
  'audit.action': ['操作', 'Action'],
  'audit.action_hint': ['完整名称，或以“.”结尾的前缀', 'Exact, or a prefix ending in “.”'],
  'audit.object': ['对象', 'Object'],
  'audit.object_hint': ['类型，或 类型:编号', 'type, or type:id'],
  'audit.search': ['查询', 'Search'],
  'audit.seq': ['序号', 'Seq'],
  'audit.time': ['时间', 'Time'],
  'audit.address': ['地址', 'Address'],
  'audit.detail': ['详情', 'Detail'],
  'audit.count': ['共 {n} 条，最新的在前', '{n} rows, newest first'],
  'audit.count_capped': ['已读取最新的 {n} 条，请缩小时间范围查看更早的记录', 'The newest {n} rows; narrow the time range for older ones'],
  'audit.none': ['没有符合条件的记录。', 'No rows match.'],
  'audit.more': ['显示更多', 'Show more'],
};

let current = null;

export function lang() {
  if (!current) {
    let saved = null;
    try {
      saved = localStorage.getItem(STORAGE_KEY);
    } catch { /* storage disabled: the default */ }
    current = LANGS.includes(saved) ? saved : LANGS[0];
  }
  return current;
}

export function setLang(l) {
  if (!LANGS.includes(l)) return;
  current = l;
  try {
    localStorage.setItem(STORAGE_KEY, l);
  } catch { /* not remembered, still switched */ }
  document.documentElement.lang = l;
}

// The string of key in the current language with {params} filled in; fallback (or the key itself,
// so a missing string is visible, never blank) when the table has no such key.
export function t(key, params, fallback) {
  const row = TABLE[key];
  let s = row ? row[LANGS.indexOf(lang())] : fallback !== undefined ? fallback : key;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
  return s;
}
