// 办件详情 (supervisor, investigator; #/case?id=N[&stage=EVENT]): the case's facts and deadlines,
// its stage timeline beside the recorded footage of each stage's window (GET /api/v1/cases/{id}
// and …/footage, fetched together), and its warnings. A click on a stage plays the window's
// camera from the stage's time (the first picture is the frame captured then); as it plays, the
// stage in force at the capture time on screen is highlighted and that time is shown to the ms.
// A stage without footage says why. Supervisors read each warning's history and notices, close a
// warning with a note and send a correction notice; investigators export a stage's footage.
// Keys: space play/pause, ← / → one frame, [ / ] the stage before / after.
import { api, seg } from '../api.js';
import { dialog, field, h, mount } from '../dom.js';
import { formatTime, zoneOf } from '../fmt.js';
import { t } from '../i18n.js';
import { applicantText, levelBadge, stageName } from '../cases.js';
import { createPlayer, FRAME_S, preciseTime, streamLabel } from '../player.js';

// The main line of a case (受理 → 承办 → 审核 → 批准 → 办结), drawn as steps above the timeline.
const MAIN = ['accepted', 'undertaken', 'reviewed', 'approved', 'completed'];
const REASONS = ['camera_unreachable', 'auth_refused', 'stream_stalled', 'stream_error', 'daemon_down',
  'disk_floor', 'clock_step', 'storage_error', 'expired', 'pending', 'not_recorded'];
const RULES = ['promised_near', 'promised_late', 'statutory_late', 'stage_long', 'stage_order', 'fee_above_standard',
  'rejection_without_reason', 'complaint'];

const FRAME_MS = FRAME_S * 1000;
const yuan = (fen) => (fen === null || fen === undefined ? '—' : `¥${(fen / 100).toFixed(2)}`);
const reasonText = (r) => (REASONS.includes(r) ? t('footage.reason_' + r) : r);
const ruleText = (r) => (RULES.includes(r) ? t('rule.' + r) : r);

// Why a stage has nothing to show at its time, or null: the footage API's no_footage, or the
// gap of its camera(s) that holds the stage's instant, with the gap's span.
export function whyNoFootage(f, zone) {
  if (!f) return t('case.no_footage_unknown');
  if (f.no_footage) return t('case.no_footage_' + f.no_footage, { window: f.window || '' });
  const at = f.time_ns / 1e6;
  for (const c of f.cameras) if (c.covered.some((x) => x.from_ns / 1e6 <= at && at < x.to_ns / 1e6)) return null;
  const gap = f.cameras.flatMap((c) => c.gaps.map((g) => ({ ...g, camera: c.camera })))
    .find((g) => g.from_ns / 1e6 <= at && at < g.to_ns / 1e6);
  if (!gap) return f.cameras.some((c) => c.covered.length) ? null : t('case.no_footage_none');
  return t('case.no_footage_gap', { camera: gap.camera, reason: reasonText(gap.reason),
    from: formatTime(gap.from, zone).slice(11), to: formatTime(gap.to, zone).slice(11) }) + (gap.detail ? ` (${gap.detail})` : '');
}

// The camera to play a stage from: the first one that recorded the stage's instant, else the first
// with any footage in the stage's range.
function cameraOf(f) {
  if (!f || !f.cameras.length) return null;
  const at = f.time_ns / 1e6;
  return f.cameras.find((c) => c.covered.some((x) => x.from_ns / 1e6 <= at && at < x.to_ns / 1e6)) ||
    f.cameras.find((c) => c.covered.length) || null;
}

export function render(root, ctx) {
  const id = ctx.params.get('id');
  const isSupervisor = ctx.me.role === 'supervisor';
  const err = h('p', { class: 'form-error', role: 'alert', id: 'case-error' });
  const video = h('video', { id: 'case-video', controls: true, muted: true, playsinline: true });
  const timeOut = h('div', { class: 'capture-time', id: 'case-time' }, '—');
  const streamOut = h('span', { class: 'stream-label', id: 'case-stream' });
  const playing = h('p', { class: 'muted small', id: 'case-playing' }, t('case.pick_stage'));
  const stageList = h('ol', { class: 'stages', id: 'case-stages' });
  const warnBox = h('div', { id: 'case-warnings' });
  const feedbackList = h('ul', { class: 'stages feedback', id: 'case-feedback' });
  let feedback = []; // evaluations and complaints that name a window, with their footage
  let c = null; // the case
  let footage = new Map(); // stage event id → its footage (GET …/footage "stages")
  let zone = zoneOf(null);
  let current = -1; // index in c.stages of the stage in force at the capture time on screen
  let chosen = -1; // the stage last asked for
  let camera = null; // the camera of the open playlist

  const player = createPlayer(video, {
    onTime: (ms) => {
      timeOut.dataset.ms = String(ms);
      timeOut.textContent = preciseTime(ms, zone);
      // the frame shown for a stage's instant was captured up to one frame before it
      let k = -1;
      c.stages.forEach((s, i) => { if (Date.parse(s.time) <= ms + FRAME_MS) k = i; });
      markCurrent(k);
    },
    onStream: (s) => { streamOut.textContent = streamLabel(s); },
    onError: (code, details) => {
      err.textContent = t('footage.play_failed', { message: code ? `HTTP ${code}` : details });
    },
  });

  function markCurrent(k) {
    if (k === current) return;
    current = k;
    stageList.querySelectorAll('li.stage').forEach((li, i) => {
      li.classList.toggle('current', i === k);
      if (i === k) li.setAttribute('aria-current', 'step');
      else li.removeAttribute('aria-current');
    });
    if (k >= 0) stageList.children[k]?.scrollIntoView({ block: 'nearest' });
  }

  // Plays stage k's window camera from the stage's time: a seek when the open playback session
  // covers it (no new playlist, no new audit row), else the stage's own playlist.
  function playStage(k, autoplay = true) {
    if (!c || k < 0 || k >= c.stages.length) return;
    chosen = k;
    const s = c.stages[k];
    stageList.querySelectorAll('li.stage').forEach((li, i) => li.classList.toggle('chosen', i === k));
    feedbackList.querySelectorAll('li.stage').forEach((li) => li.classList.remove('chosen'));
    if (playLinked(footage.get(s.id), stageName(s.stage), s.id, autoplay)) markCurrent(k);
  }

  // Plays an evaluation's or a complaint's window camera from its time, like a stage.
  function playFeedback(f) {
    stageList.querySelectorAll('li.stage').forEach((li) => li.classList.remove('chosen'));
    feedbackList.querySelectorAll('li.stage').forEach((li) => li.classList.toggle('chosen', li.dataset.event === String(f.id)));
    playLinked(f, feedbackName(f), f.id, true);
  }

  // The footage of one linked event f (a stage, an evaluation, a complaint) named name: says why
  // there is none, or plays it (a seek when the open session covers it). True when it plays.
  function playLinked(f, name, eventId, autoplay) {
    err.textContent = '';
    const cam = cameraOf(f);
    const why = whyNoFootage(f, zone);
    if (!cam) {
      playing.textContent = t('case.stage_no_footage', { stage: name, why: why || t('case.no_footage_none') });
      playing.dataset.state = 'none';
      video.pause(); // the picture is not of this event
      return false;
    }
    const at = f.time_ns / 1e6;
    playing.textContent = t('case.playing_stage', { stage: name, camera: cam.camera, time: preciseTime(at, zone) }) + (why ? ` · ${why}` : '');
    playing.dataset.state = 'playing';
    video.dataset.start = String(at);
    video.dataset.stage = String(eventId);
    if (camera === cam.camera && player.active && player.covers(at) && player.seek(at, autoplay)) return true;
    camera = cam.camera;
    player.load(cam.playlist + '&stream=h264', autoplay);
    return true;
  }

  // "评价：不满意" / "投诉（电话）"
  const feedbackName = (f) => (f.stage === 'evaluation' ? t('case.evaluation', { rating: t('rating.' + f.rating, null, f.rating) })
    : t('case.complaint', { channel: t('channel.' + f.channel, null, f.channel) }));

  function feedbackItem(f) {
    const why = whyNoFootage(f, zone);
    const cam = cameraOf(f);
    const bad = f.stage === 'complaint' || ['dissatisfied', 'very_dissatisfied'].includes(f.rating);
    return h('li', { class: `stage stage-${f.stage}${cam ? '' : ' no-footage'}${bad ? ' feedback-bad' : ''}`, tabindex: 0, 'data-event': f.id, 'data-kind': f.stage,
      onclick: () => playFeedback(f), onkeydown: (e) => { if (e.key === 'Enter') playFeedback(f); } },
    h('div', { class: 'stage-head' },
      h('span', { class: 'stage-name' }, feedbackName(f)),
      h('span', { class: 'stage-time' }, formatTime(f.time, zone))),
    h('div', { class: 'stage-meta small' }, f.window ? h('span', {}, t('case.window_at', { hall: f.hall || c.hall || '', window: f.window })) : null),
    h('div', { class: 'stage-footage small' },
      cam ? h('span', { class: 'has-footage' }, '▶ ', t('case.footage_of', { camera: cam.camera })) : null,
      why ? h('span', { class: 'why', 'data-why': f.no_footage || 'gap' }, why) : null));
  }

  function stageItem(s, i) {
    const f = footage.get(s.id);
    const why = whyNoFootage(f, zone);
    const cam = cameraOf(f);
    return h('li', { class: `stage stage-${s.stage}${cam ? '' : ' no-footage'}`, tabindex: 0, 'data-event': s.id, 'data-stage': s.stage,
      onclick: (e) => { if (!e.target.closest('a, button')) playStage(i); },
      onkeydown: (e) => { if (e.key === 'Enter') playStage(i); } },
    h('div', { class: 'stage-head' },
      h('span', { class: 'stage-name' }, stageName(s.stage)),
      h('span', { class: 'stage-time' }, formatTime(s.time, zone))),
    h('div', { class: 'stage-meta small' },
      s.operator_id || s.operator_name ? h('span', {}, t('case.operator'), ' ',
        s.operator_id ? h('a', { href: `#/staff?op=${seg(s.operator_id)}`, class: 'operator', 'data-operator': s.operator_id }, s.operator_name || s.operator_id) : s.operator_name) : null,
      s.window ? h('span', {}, t('case.window_at', { hall: s.hall || c.hall || '', window: s.window })) : null,
      s.queue_ticket ? h('span', {}, t('case.ticket', { ticket: s.queue_ticket })) : null,
      s.outcome ? h('span', {}, t('outcome.' + s.outcome, null, s.outcome)) : null),
    s.opinion ? h('div', { class: 'stage-opinion' }, s.opinion) : null,
    h('div', { class: 'stage-footage small' },
      cam ? h('span', { class: 'has-footage' }, '▶ ', t('case.footage_of', { camera: cam.camera })) : null,
      why ? h('span', { class: 'why', 'data-why': f && f.no_footage ? f.no_footage : 'gap' }, why) : null,
      cam && ctx.me.role === 'investigator' ? h('button', { type: 'button', class: 'export-stage', 'data-action': 'export', onclick: () => exportStage(s) }, t('case.export_stage')) : null));
  }

  async function exportStage(s) {
    try {
      await api.post('/api/v1/exports', { case: c.id, stage: s.id });
      ctx.navigate('#/exports');
    } catch (e) {
      err.textContent = t('case.export_failed', { message: e.message });
    }
  }

  function limitBox(name, l) {
    if (!l) return null;
    const unit = t('case.unit_' + (l.unit === 'calendar_days' ? 'calendar' : 'working'));
    return h('div', { class: `limit${l.late ? ' late' : ''}`, 'data-limit': name, 'data-late': String(!!l.late) },
      h('div', { class: 'limit-name' }, t('case.limit_' + name), ' ', h('span', { class: 'muted small' }, `${l.days} ${unit}`)),
      h('div', { class: 'limit-due' }, l.due_date ? t('case.due', { date: l.due_date }) : t('case.due_suspended')),
      h('div', { class: 'small' }, t('case.used_remaining', { used: fmtDays(l.used_days), remaining: fmtDays(l.remaining_days) })),
      l.late ? h('span', { class: 'level level-red' }, t('case.late')) : h('span', { class: 'level level-ok' }, t('case.in_time')),
      l.beyond_calendar ? h('div', { class: 'muted small' }, t('case.beyond_calendar')) : null);
  }
  const fmtDays = (d) => (Number.isInteger(d) ? String(d) : d.toFixed(1));

  function facts() {
    const rows = [
      [t('cases.number'), c.case_number],
      [t('cases.department'), c.department],
      [t('cases.item'), `${c.item_name} (${c.item_code})`],
      [t('cases.applicant'), applicantText(c.applicant)],
      [t('cases.hall_window'), [c.hall, c.window].filter(Boolean).join(' / ') || '—'],
      [t('case.queue_ticket'), c.queue_ticket || '—'],
      [t('case.fee'), h('span', { class: c.fee_charged_fen > c.fee_standard_fen ? 'error-text' : '' }, t('case.fee_value', { charged: yuan(c.fee_charged_fen), standard: yuan(c.fee_standard_fen) }))],
      [t('cases.accepted_at'), formatTime(c.accepted_at, zone)],
      [t('cases.state'), stageName(c.state)],
      [t('case.result'), c.result ? t('result.' + c.result, null, c.result) : '—'],
    ];
    return h('dl', { class: 'facts case-facts', id: 'case-facts' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
  }

  // 受理 → 承办 → 审核 → 批准 → 办结: each step done when the case has that stage.
  function steps() {
    const have = new Set(c.stages.map((s) => s.stage));
    return h('ol', { class: 'steps', id: 'case-steps' }, MAIN.map((s) => h('li', { class: have.has(s) ? 'done' : '', 'data-stage': s }, stageName(s))));
  }

  function suspensions() {
    if (!c.suspensions || !c.suspensions.length) return null;
    return h('ul', { class: 'suspensions small', id: 'case-suspensions' }, c.suspensions.map((x) => h('li', { 'data-kind': x.kind },
      t('case.suspension_' + (x.kind === 'supplement' ? 'supplement' : 'special')), ' ',
      formatTime(x.start, zone), ' – ', x.end ? formatTime(x.end, zone) : t('case.suspension_open'))));
  }

  function draw() {
    zone = zoneOf(c.hall);
    mount(stageList, c.stages.length ? c.stages.map(stageItem) : h('li', { class: 'muted' }, t('case.no_stages')));
    current = -1;
    mount(root,
      h('div', { class: 'case-head' },
        h('a', { href: '#/cases', class: 'back' }, '‹ ', t('case.back')),
        h('h1', {}, t('case.title', { number: c.case_number })),
        levelBadge(c.warning_level),
        h('span', { class: 'badge state' }, stageName(c.state)),
        c.suspended ? h('span', { class: 'badge suspended' }, t('case.suspended')) : null),
      err,
      h('div', { class: 'case-top' },
        h('section', { class: 'panel' }, h('h2', {}, t('case.facts')), facts()),
        h('section', { class: 'panel', id: 'case-limits' }, h('h2', {}, t('case.deadlines')),
          h('div', { class: 'limits' }, limitBox('promised', c.limits && c.limits.promised), limitBox('statutory', c.limits && c.limits.statutory)),
          h('p', { class: 'muted small' }, t('case.evaluated_at', { time: formatTime(c.evaluated_at, zone) })))),
      h('div', { class: 'case-main' },
        h('div', {},
          h('section', { class: 'panel timeline-panel' }, h('h2', {}, t('case.timeline')), steps(), suspensions(), stageList,
            h('p', { class: 'muted small keys' }, t('case.keys'))),
          feedback.length ? h('section', { class: 'panel', id: 'case-feedback-panel' }, h('h2', {}, t('case.feedback')), mount(feedbackList, feedback.map(feedbackItem))) : null,
          h('section', { class: 'panel' }, h('h2', {}, t('case.warnings')), warnBox)),
        h('section', { class: 'panel player case-player' }, video,
          h('div', { class: 'capture-row' }, h('span', { class: 'muted' }, t('footage.capture_time')), timeOut, streamOut), playing)));
    drawWarnings();
  }

  function historyList(hist) {
    if (!hist || !hist.length) return null;
    return h('ul', { class: 'history small' }, hist.map((x) => h('li', { 'data-action': x.action },
      formatTime(x.at, zone), ' · ', t('whist.' + x.action, null, x.action), ' · ', x.actor, x.text ? h('span', { class: 'note' }, ` “${x.text}”`) : null)));
  }

  async function drawWarnings() {
    if (!c.warnings.length) return void mount(warnBox, h('p', { class: 'muted' }, t('case.no_warnings')));
    // supervisors read each warning's history and notices; investigators have the list only
    const full = isSupervisor ? await Promise.all(c.warnings.map((w) => api.get(`/api/v1/warnings/${w.id}`).catch(() => w))) : c.warnings;
    mount(warnBox, h('ul', { class: 'warnings' }, full.map((w) => h('li', { class: `warning warning-${w.state}`, 'data-warning': w.id, 'data-rule': w.rule, 'data-state': w.state },
      h('div', { class: 'warning-head' }, levelBadge(w.level), h('strong', {}, ruleText(w.rule)),
        h('span', { class: 'muted small' }, t('case.raised', { time: formatTime(w.raised, zone) })),
        w.due ? h('span', { class: 'muted small' }, t('case.warning_due', { time: formatTime(w.due, zone) })) : null,
        h('span', { class: 'badge' }, t('case.warning_' + (w.state === 'open' ? 'open' : 'closed'))),
        isSupervisor && w.state === 'open' ? h('span', { class: 'warning-actions' },
          h('button', { type: 'button', 'data-action': 'close', onclick: () => ask(w, 'close') }, t('case.close_warning')),
          h('button', { type: 'button', 'data-action': 'notice', onclick: () => ask(w, 'notice') }, t('case.send_notice'))) : null),
      w.state !== 'open' ? h('p', { class: 'small closed-note' }, t('case.closed_by', { time: formatTime(w.closed, zone), by: w.closed_by || '—' }), w.close_note ? ` “${w.close_note}”` : '') : null,
      historyList(w.history),
      w.notices && w.notices.length ? h('div', { class: 'notices' }, h('h3', {}, t('case.notices')),
        h('ul', { class: 'small' }, w.notices.map((n) => h('li', { 'data-notice': n.id, 'data-state': n.state },
          formatTime(n.sent, zone), ' · ', n.sent_by, ' · ', t('notice.' + n.state, null, n.state), ': ', n.text,
          n.reply ? h('div', { class: 'muted' }, t('case.reply', { text: n.reply })) : null)))) : null))));
  }

  // Close a warning (with its note) or send a correction notice (with its text).
  function ask(w, what) {
    const text = h('textarea', { id: 'warning-text', rows: 4, maxlength: 1000, required: true });
    const msg = h('p', { class: 'form-error', role: 'alert' });
    const d = dialog(t(what === 'close' ? 'case.close_warning' : 'case.send_notice') + ' · ' + ruleText(w.rule),
      [field(t(what === 'close' ? 'case.close_note' : 'case.notice_text'), text), msg],
      [h('button', { type: 'button', onclick: () => d.close() }, t('common.cancel')),
        h('button', { type: 'button', class: 'primary', id: 'warning-submit', onclick: async () => {
          if (!text.value.trim()) return void (msg.textContent = t('case.text_required'));
          try {
            if (what === 'close') await api.post(`/api/v1/warnings/${w.id}/close`, { note: text.value.trim() });
            else await api.post(`/api/v1/warnings/${w.id}/notices`, { text: text.value.trim() });
            d.close();
            c = await api.get(`/api/v1/cases/${seg(id)}`);
            root.querySelector('.case-head [data-level]')?.replaceWith(levelBadge(c.warning_level));
            drawWarnings();
          } catch (e) {
            msg.textContent = e.message;
          }
        } }, t(what === 'close' ? 'case.close_warning' : 'case.send_notice'))]);
    text.focus();
  }

  function onKey(e) {
    if (!c || e.target.closest('input, textarea, select, button, dialog') || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === '[' || e.key === ']') {
      e.preventDefault();
      const base = current >= 0 ? current : chosen;
      playStage(Math.max(0, Math.min(c.stages.length - 1, base + (e.key === ']' ? 1 : -1))));
      return;
    }
    player.key(e);
  }
  document.addEventListener('keydown', onKey);

  mount(root, h('p', { class: 'muted' }, t('common.loading')));
  (async () => {
    try {
      const [cs, fs] = await Promise.all([api.get(`/api/v1/cases/${seg(id)}`), api.get(`/api/v1/cases/${seg(id)}/footage`)]);
      c = cs;
      footage = new Map(fs.stages.map((f) => [f.id, f]));
      feedback = fs.feedback || [];
      document.title = `${c.case_number} · ${t('nav.case')}`;
      draw();
      const want = ctx.params.get('stage');
      if (want) playStage(c.stages.findIndex((s) => String(s.id) === want));
    } catch (e) {
      mount(root, h('h1', {}, t('nav.case')), h('p', { class: 'error', id: 'case-error' }, e.status === 404 ? t('case.not_found') : t('common.load_failed', { message: e.message })));
    }
  })();
  return () => { document.removeEventListener('keydown', onKey); player.stop(); };
}
