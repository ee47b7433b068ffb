// app.js — the page: config, one client of the gateway (tickstream.js),
// the current instrument's chart.
//
// The chart shows one window at a time, asked for with one `range` request
// at the plot's pixel width (view.js): the whole retained history when an
// instrument opens, exactly the window shown after every zoom or pan. One
// subscription, from the time view.js needs ticks on (`series`), keeps the
// live edge exact; the client module resumes it after every reconnect from
// the newest tick held (docs/PROTOCOL.md, docs/CLIENT.md), so no tick is
// lost or doubled, and a late message for the instrument the user just
// left is dropped. What the page adds: a 'restart' of the subscription
// empties the series (the ticks follow again), a new epoch opens the
// instrument again from its whole history and tells the user.
import { Series } from './series.js';
import { Chart, fmtTime } from './chart.js';
import { View } from './view.js';
import { Picker } from './picker.js';
import { connect, closeText } from './tickstream.js';
import { Board } from './board.js';
import { inspect } from './inspect.js';

const $ = (id) => document.getElementById(id);

// What index.html's inline script started before the modules loaded: the
// config request (a promise of its JSON, or of {error}, never rejected) and
// the WebSocket. Taken over by main(); absent on a page without that script.
const boot = window.tickstreamBoot || {};

const app = {
  cfg: null,
  sym: null,
  epoch: null,
  phase: 'idle', // idle | loading (from 0) | catchup (resume) | live | error
  state: 'connecting', // connecting | catching up | live | reconnecting
  down: null, // {code, reason, retryAt, attempt} while reconnecting
  series: new Series(), // every tick > since, the subscription's
  since: null, // null: not subscribed yet (the first window tells from when)
  firstT: null, // the oldest time of the instrument's history (the first window's first bucket)
  whole: false, // the window in flight is the first, of the whole history
  tf: 0, // timeframe: 0 = buckets follow the zoom ("ticks"), else a bucket width in ms
  kind: 'line', // line | candles
  view: null,
  reqTimer: 0,
  // performance.now() of the last instrument's opening, first chart and live
  // edge (tests, bench/page-client.mjs and the console).
  marks: { open: 0, chart: 0, live: 0 },
  // performance.now() of the page's own start: its WebSocket open, its config in (once).
  boot: { ws: 0, config: 0 },
  chart: null,
  conn: null, // the tickstream.js client
  sub: null, // its subscription of sym
  refold: false, // the series restarted: the window's live part is rebuilt from it
  picker: null,
  notices: [],
  lastDataAt: 0, // Date.now() of the last hist/tick used
};

// A window that gets no answer at all for this long is asked for again.
const RANGE_TIMEOUT_MS = 30000;

// ---- notices (gateway errors, epoch changes) ---------------------------------

function notice(level, text) {
  const n = { level, text, at: Date.now() };
  app.notices.push(n);
  if (app.notices.length > 50) app.notices.shift();
  const li = document.createElement('li');
  li.className = level;
  li.innerHTML = '<time></time><span></span><button type="button" title="Dismiss" aria-label="Dismiss">×</button>';
  li.querySelector('time').textContent = fmtTime(n.at);
  li.querySelector('span').textContent = text;
  li.querySelector('button').onclick = () => li.remove();
  const list = $('notices');
  list.prepend(li);
  while (list.children.length > 4) list.lastElementChild.remove();
  setTimeout(() => li.remove(), level === 'error' ? 30000 : 15000);
}

// ---- header -------------------------------------------------------------------

function setState(s, down = null) {
  app.state = s;
  app.down = down;
  renderConn();
}

function renderConn() {
  const el = $('conn');
  el.dataset.state = app.state;
  let text = app.state;
  if (app.state === 'reconnecting' && app.down) {
    const secs = Math.max(0, Math.ceil((app.down.retryAt - Date.now()) / 1000));
    text = `reconnecting in ${secs}s`;
    el.title = `${closeText(app.down.code, app.down.reason)} — attempt ${app.down.attempt}`;
  } else if (app.state === 'live' && app.phase !== 'error' && app.cfg && Date.now() - app.lastDataAt > 3 * app.cfg.interval_ms + 2000) {
    // (An instrument the gateway refused has no ticks either: the overlay says why, not "generator stopped?".)
    text = 'live · no ticks';
    el.title = `no tick for ${Math.round((Date.now() - app.lastDataAt) / 1000)} s (generator stopped?)`;
  } else el.title = '';
  $('conn-text').textContent = text;
  $('retry').hidden = app.state !== 'reconnecting';
}

function renderHeader(view) {
  const s = app.series, f = app.view.frame;
  $('price').textContent = s.length ? fmtNum(s.lastP) : '—';
  $('lasttime').textContent = s.length ? fmtTime(s.lastT) : '—';
  $('lasttime').dateTime = s.length ? new Date(s.lastT).toISOString() : '';
  const vis = app.chart.visibleChange();
  const ch = $('change');
  if (vis) {
    const d = vis.c - vis.o;
    ch.textContent = (d > 0 ? '+' : d < 0 ? '−' : '±') + fmtNum(Math.abs(d));
    ch.className = d > 0 ? 'up' : d < 0 ? 'down' : '';
    ch.title = `change from ${fmtTime(vis.t0, true)} to ${fmtTime(vis.t1, true)}`;
    $('span').textContent = 'over ' + fmtSpan(vis.t1 - vis.t0);
  } else {
    ch.textContent = '—';
    ch.className = '';
    $('span').textContent = '';
  }
  $('points').textContent = f && f.length ? `${f.length.toLocaleString()} × ${fmtSpan(f.w)}` : '';
  $('points').title = f ? `buckets of ${f.w} ms from ${f.source}` : '';
  if (view) {
    $('btn-live').hidden = view.mode !== 'fixed';
    $('follow').hidden = view.mode === 'fixed';
  }
}

// Also runs per tick, not per frame: a hidden tab gets no animation frames,
// and its title is then the only thing the user sees.
function renderTitle() {
  const s = app.series;
  document.title = (s.length ? `${fmtNum(s.lastP)} · ` : '') + `${app.sym} · tickstream`;
}

function renderLoading() {
  const el = $('loading');
  if ((app.phase === 'loading' || app.phase === 'idle') && !app.view.frame) {
    el.hidden = false;
    el.dataset.kind = 'loading';
    $('loading-text').textContent = `Loading ${app.sym || 'instruments'}…`;
  } else if (app.phase === 'error') {
    el.hidden = false;
    el.dataset.kind = 'error';
  } else el.hidden = true;
}

const fmtNum = (v) => v.toLocaleString();

function fmtSpan(ms) {
  const s = ms / 1000;
  if (s < 1) return `${Math.round(ms)} ms`;
  if (s < 120) return `${+s.toFixed(s < 10 ? 1 : 0)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${+(s / 3600).toFixed(s < 36000 ? 1 : 0)} h`;
  return `${+(s / 86400).toFixed(1)} d`;
}

// ---- subscription and windows ------------------------------------------------

/** Subscribes to app.sym from `since` (tickstream.js resumes it from the newest tick held on). */
function subscribe() {
  if (!app.sym || app.since === null) return;
  const sub = app.conn.subscribe(app.sym, { since: app.since, onRun: (t0, dt, p) => sub === app.sub && onRun(t0, dt, p) }, (x) => sub === app.sub && onTick(x));
  app.sub = sub;
  const mine = (fn) => (e) => sub === app.sub && fn(e);
  sub.addEventListener('live', mine(onLive));
  sub.addEventListener('restart', mine(() => {
    app.series.clear();
    app.refold = true;
  }));
  sub.addEventListener('retry', mine(() => {
    notice('warn', `No answer from the gateway for ${app.sym}; asking again.`);
    onCatchup();
  }));
  sub.addEventListener('error', mine((e) => showFatal(e.detail)));
  onCatchup();
}

/** A catch-up was asked for (a new subscription, or a resume after a reconnect). */
function onCatchup() {
  if (!app.sub || !app.conn.open || app.sub.phase === 'error') return;
  if (app.phase !== 'error') app.phase = app.sub.phase;
  setState('catching up');
  renderLoading();
}

/** view.js needs every tick > since: subscribe from there unless the series already holds them. */
function needTicks(since) {
  if (app.since !== null && app.since <= since) return;
  app.since = since;
  app.series.clear();
  subscribe();
}

/** Asks for the window the chart shows (the whole history first), at its pixel width. */
function requestWindow() {
  clearTimeout(app.reqTimer);
  app.reqTimer = 0;
  if (!app.sym || !app.conn || !app.cfg || app.phase === 'error') return;
  const c = app.chart, x = c.x, points = windowPoints();
  if (app.firstT === null || (app.tf === 0 && (c.mode === 'all' || x.min == null))) {
    // The whole history in one round trip: without a from the gateway finds
    // where it starts (each time everything is shown again: trimming moves
    // it, and a timeframe's first window only bounds it); a timeframe's
    // buckets need an aligned from, so it asks from 0 (the last 10,000
    // candles), and the first candle is where the history starts (onFrame).
    app.whole = true;
    app.view.load({ from: app.tf > 0 ? 0 : null, points, width: app.tf });
  } else if (c.mode === 'all' || x.min == null) app.view.load({ from: app.firstT, points, width: app.tf });
  else app.view.load({ from: x.min, to: c.mode === 'fixed' ? x.max : null, points, width: app.tf });
}

/** Buckets per window: one per pixel column for the line, a candle every 6 px. */
function windowPoints() {
  return app.kind === 'candles' ? app.chart.plotWidth / 6 : app.chart.plotWidth;
}

/** A zoom or pan: ask once the gesture pauses (a drag moves the window every frame). */
function windowChanged(v) {
  if (!app.chart) return; // the chart's first size, while it is being made
  renderHeader(v);
  if (!v.user || app.firstT === null || app.reqTimer) return;
  app.reqTimer = setTimeout(requestWindow, 120);
}

function onFrame(frame) {
  if (app.whole) {
    app.whole = false;
    // Without a from, the answer's from is where the history starts; a
    // timeframe's (from 0) starts at its first candle or, with none closed
    // yet (a history younger than one candle), at the open one.
    app.firstT = app.tf === 0 ? frame.from : frame.length ? frame.at(0).t : frame.to + 1;
  }
  if (app.phase === 'loading' && app.since !== null && !frame.isLive) app.phase = 'live';
  app.chart.setFrame(frame);
  if (!app.marks.chart) app.marks.chart = performance.now();
  renderLoading();
  renderHeader(null);
}

// The page's bounds of the x axis: the instrument's history up to its newest tick.
function bounds() {
  const f = app.view.frame;
  if (app.firstT === null || !f) return [null, null];
  // Not the newest candle's end: a wide one would push the live edge (and
  // every window anchored on it) into the future.
  return [app.firstT, Math.max(f.isLive ? f.end : 0, app.series.length ? app.series.lastT : 0, app.firstT + 1)];
}

// A name missing from the config is still asked for: the list may be older
// than the gateway's, and for a mistyped link the gateway's unknown_sym
// error is shown where the chart would be.
function switchTo(sym) {
  if (!sym) return;
  app.picker.show(sym);
  if (sym === app.sym) return;
  app.sym = sym;
  restart();
}

/** Forget the instrument's data and load it again from the whole history. */
function restart() {
  app.marks = { open: performance.now(), chart: 0, live: 0 };
  if (app.sub) app.sub.close();
  app.sub = null;
  app.series.clear();
  app.since = null;
  app.firstT = null;
  app.view.reset(app.sym);
  renderTitle();
  app.phase = 'loading';
  app.chart.resetView();
  renderHeader(null);
  renderLoading();
  // The chart was hidden under the board until now: take its size before
  // asking for one bucket per pixel column (uPlot lays its plot out in a
  // microtask after a new size, so ask in the next one).
  app.chart.resize();
  queueMicrotask(requestWindow);
}

/** A run of history from the subscription: tick i at t0 + i*dt. */
function onRun(t0, dt, p) {
  const s = app.series, prev = s.lastT;
  s.pushRun(t0, dt, p);
  if (app.refold) app.view.foldAll();
  else app.view.ticksAdded(prev === null ? -Infinity : prev);
  app.refold = false;
  app.lastDataAt = Date.now();
  if (app.phase !== 'error') app.phase = app.sub.phase;
  app.chart.update();
  renderLoading();
  renderTitle();
}

/** The catch-up ended: what follows is live. */
function onLive() {
  if (app.phase !== 'error') app.phase = 'live';
  if (!app.marks.live) app.marks.live = performance.now();
  setState('live');
  app.chart.update();
  renderLoading();
  renderTitle();
}

function onTick({ t, p }) {
  const s = app.series, prev = s.lastT;
  if (!s.push(t, p)) return;
  app.lastDataAt = Date.now();
  app.view.ticksAdded(prev === null ? -Infinity : prev);
  // The ticks are needed from the tail of the window on only, and they are
  // folded into its buckets as they come: past 200,000 the older half is let
  // go (a later window that needs them subscribes again from its tail).
  if (s.length > 200000) {
    s.trimBefore(s.t[s.end - 100000]);
    app.since = s.firstT - 1;
  }
  app.chart.update();
  renderTitle();
}

/** Every `err` of the gateway is shown; those about the current instrument stop the chart. */
function onErr(m) {
  const about = m.sym ? ` (${m.sym})` : '';
  notice('error', `Gateway error ${m.code}${about}: ${m.msg}`);
  if (m.sym === app.sym && m.code === 'unknown_sym') showFatal(m);
}

function showFatal(m) {
  app.phase = 'error';
  setState('live'); // the connection is fine; the overlay says what is not
  $('loading-text').textContent = `Cannot show ${m.sym}: ${m.msg}`;
  renderLoading();
}

/** The connection is (re)opened: the module resumes the ticks; ask again for the window (an answer may have been lost). */
function onOpen() {
  if (!app.boot.ws) app.boot.ws = performance.now();
  onCatchup();
  requestWindow();
}

/** The history was reset on the server: open the instrument again, and say so. */
function onEpoch(e) {
  app.epoch = e.detail.epoch;
  refreshConfig(); // a new history may have other instruments or interval
  if (!app.sym || (!app.view.frame && !app.series.length)) return;
  notice('warn', `History was reset on the server (new epoch): ${app.sym} was reloaded from the start.`);
  restart();
}

/** Runs every 500 ms: the countdown, staleness, and a window that got lost (the module asks again for a lost catch-up). */
function watch() {
  renderConn();
  if (app.view.main && Date.now() - app.view.main.at > RANGE_TIMEOUT_MS) requestWindow();
}

/** A timeframe: buckets of `ms` (0: as fine as the zoom allows); about 150 of them in view. */
function setTimeframe(ms) {
  app.tf = ms;
  $('timeframe').value = String(ms);
  if (ms > 0 && app.firstT !== null) app.chart.last(Math.min(150 * ms, bounds()[1] - app.firstT));
  requestWindow();
}

function setKind(kind) {
  app.kind = kind;
  $('kind').value = kind;
  app.chart.setKind(kind);
  document.body.dataset.kind = kind;
  requestWindow(); // candles are asked for a few pixels wide
}

// ---- start-up -------------------------------------------------------------------

/** After an epoch change: new instrument list and interval, if they changed. */
async function refreshConfig() {
  try {
    const cfg = await fetchConfig();
    app.cfg = cfg;
    app.view.setConfig(cfg);
    app.chart.interval = cfg.interval_ms || 1000;
    app.picker.setNames(cfg.instruments);
    renderInterval();
    if (!cfg.instruments.includes(app.sym)) location.hash = cfg.instruments[0];
  } catch {
    // The next epoch change or page load tries again; the chart works meanwhile.
  }
}

function renderInterval() {
  const iv = app.cfg.interval_ms;
  $('interval').textContent = `every ${iv < 1000 ? iv + ' ms' : fmtSpan(iv)}`;
}

/** /api/config; `pending`: one already asked for (index.html's), else a new request. */
async function fetchConfig(pending = null) {
  let cfg = await pending;
  if (!cfg) {
    const r = await fetch('api/config', { cache: 'no-store' });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    cfg = await r.json();
  }
  if (cfg.error) throw new Error(cfg.error);
  if (!Array.isArray(cfg.instruments) || cfg.instruments.length === 0) throw new Error('no instruments');
  return cfg;
}

/** The first config (the request index.html started, then new ones), retried with backoff: nothing works without it. */
async function loadConfig() {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetchConfig(attempt === 0 ? boot.config : null);
    } catch (e) {
      const delay = Math.min(15000, 500 * 2 ** attempt);
      setState('reconnecting', { code: 0, reason: `config: ${e.message}`, retryAt: Date.now() + delay, attempt: attempt + 1 });
      await new Promise((res) => setTimeout(res, delay));
    }
  }
}

// The market watch (board.js) is the page's default: `/` (no hash) and
// `#board`; any other hash is an instrument's chart (`#ticker_07`), and the
// chart's "← board" (or Esc) goes to `#board`, so the browser's back button
// walks the same way.
function route() {
  const h = decodeURIComponent(location.hash.slice(1));
  const board = h === '' || h === 'board';
  document.body.dataset.view = board ? 'board' : 'chart';
  if (board) {
    app.board.start();
    app.board.show();
    document.title = 'board · tickstream';
  } else {
    app.board.hide();
    switchTo(h);
    renderTitle();
  }
}

function keys(e) {
  if (document.body.dataset.view === 'board') return;
  if (e.key === 'Escape' && !e.target.closest('input, textarea')) {
    location.hash = 'board';
    return;
  }
  if (e.target.closest('input, textarea, select') || e.ctrlKey || e.metaKey || e.altKey) return;
  const c = app.chart, x = c.x;
  const w = x.min == null ? 0 : x.max - x.min;
  const act = {
    '/': () => $('picker').focus(),
    ArrowLeft: () => c.pan(-w / 10),
    ArrowRight: () => c.pan(w / 10),
    '+': () => c.zoom(1 / 1.5),
    '=': () => c.zoom(1 / 1.5),
    '-': () => c.zoom(1.5),
    0: () => c.reset(),
    Home: () => c.reset(),
    End: () => c.live(),
    l: () => c.live(),
  }[e.key];
  if (act) {
    e.preventDefault();
    act();
  }
}

async function main() {
  app.view = new View({
    series: app.series,
    range: (sym, win) => app.conn.range(sym, win),
    needTicks,
    onFrame,
    onTail: () => app.chart.update(),
    onError: onErr,
  });
  app.chart = new Chart($('chart'), { bounds, onView: windowChanged });
  $('timeframe').onchange = (e) => setTimeframe(Number(e.target.value));
  $('kind').onchange = (e) => setKind(e.target.value);
  $('btn-reset').onclick = () => app.chart.reset();
  $('btn-live').onclick = () => app.chart.live();
  $('retry').onclick = () => app.conn && app.conn.retryNow();
  for (const b of document.querySelectorAll('[data-range]')) b.onclick = () => app.chart.last(Number(b.dataset.range) * 1000);
  document.addEventListener('keydown', keys);
  setInterval(watch, 500);

  // The WebSocket opens while the config loads (one round trip less before
  // the first chart); until an instrument is chosen, onOpen has nothing to ask.
  setState('connecting');
  app.conn = connect(undefined, { socket: boot.ws });
  app.conn.addEventListener('open', onOpen);
  app.conn.addEventListener('down', (e) => setState('reconnecting', e.detail));
  app.conn.addEventListener('error', (e) => onErr(e.detail));
  app.conn.addEventListener('epoch', onEpoch);
  app.cfg = await loadConfig();
  app.boot.config = performance.now();
  app.epoch = app.cfg.epoch ?? null;
  if (app.conn.epoch === null) app.conn.epoch = app.epoch; // a different one in an answer is a reset
  app.view.setConfig(app.cfg);
  app.chart.interval = app.cfg.interval_ms || 1000;
  renderInterval();
  app.picker = new Picker($('picker'), $('picker-list'), (sym) => {
    if (location.hash !== '#' + sym) location.hash = sym;
    else switchTo(sym);
  });
  app.picker.setNames(app.cfg.instruments);
  // Background tabs get their timers throttled to once a minute: when the
  // user comes back, reconnect now rather than when the countdown fires.
  document.addEventListener('visibilitychange', () => !document.hidden && app.conn.retryNow());
  app.board = new Board($('board'), (sym) => (location.hash = sym));
  window.addEventListener('hashchange', route);
  route();
}

window.tickstream = inspect(app);

main();
