// app.js — the page: config, one client of the gateway (tickstream.js),
// the current instrument's series.
//
// The client module keeps the chart exact (docs/PROTOCOL.md, docs/CLIENT.md):
// one subscription, the current instrument's, resumed after every reconnect
// from the newest tick held; a late message for the instrument the user just
// left is dropped, so two instruments never mix. What the page adds: a
// 'restart' or 'reload' from the module empties the series (the history
// follows again), and the user is told of a reset history.
import { Series } from './series.js';
import { Chart, fmtTime } from './chart.js';
import { Picker } from './picker.js';
import { connect, closeText } from './tickstream.js';
import { Board } from './board.js';

const $ = (id) => document.getElementById(id);

const app = {
  cfg: null,
  sym: null,
  epoch: null,
  phase: 'idle', // idle | loading (from 0) | catchup (resume) | live | error
  state: 'connecting', // connecting | catching up | live | reconnecting
  down: null, // {code, reason, retryAt, attempt} while reconnecting
  series: new Series(),
  chart: null,
  conn: null, // the tickstream.js client
  sub: null, // its subscription of sym
  resetNext: false, // the series was emptied: the next chart update starts afresh
  picker: null,
  notices: [],
  lastDataAt: 0, // Date.now() of the last hist/tick used
};

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
  } else if (app.state === 'live' && app.cfg && Date.now() - app.lastDataAt > 3 * app.cfg.interval_ms + 2000) {
    text = 'live · no ticks';
    el.title = `no tick for ${Math.round((Date.now() - app.lastDataAt) / 1000)} s (generator stopped?)`;
  } else el.title = '';
  $('conn-text').textContent = text;
  $('retry').hidden = app.state !== 'reconnecting';
}

function renderHeader(view) {
  const s = app.series;
  $('price').textContent = s.length ? fmtNum(s.lastP) : '—';
  $('lasttime').textContent = s.length ? fmtTime(s.lastT) : '—';
  $('lasttime').dateTime = s.length ? new Date(s.lastT).toISOString() : '';
  const vis = app.chart.visible();
  const ch = $('change');
  if (vis) {
    const d = s.p[vis[1]] - s.p[vis[0]];
    ch.textContent = (d > 0 ? '+' : d < 0 ? '−' : '±') + fmtNum(Math.abs(d));
    ch.className = d > 0 ? 'up' : d < 0 ? 'down' : '';
    ch.title = `change from ${fmtTime(s.t[vis[0]], true)} to ${fmtTime(s.t[vis[1]], true)}`;
    $('span').textContent = 'over ' + fmtSpan(s.t[vis[1]] - s.t[vis[0]]);
  } else {
    ch.textContent = '—';
    ch.className = '';
    $('span').textContent = '';
  }
  $('points').textContent = s.length ? `${s.length.toLocaleString()} points` : '';
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
  if (app.phase === 'loading' || app.phase === 'idle') {
    el.hidden = false;
    el.dataset.kind = 'loading';
    const n = app.series.length;
    $('loading-text').textContent = `Loading ${app.sym || 'instruments'}…` + (n ? ` ${n.toLocaleString()} points` : '');
  } else if (app.phase === 'error') {
    el.hidden = false;
    el.dataset.kind = 'error';
  } else el.hidden = true;
}

const fmtNum = (v) => v.toLocaleString();

function fmtSpan(ms) {
  const s = ms / 1000;
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(s < 36000 ? 1 : 0)} h`;
}

// ---- subscription ---------------------------------------------------------------

/** Subscribes to app.sym from the newest tick held (tickstream.js resumes it from then on). */
function subscribe() {
  if (!app.sym) return;
  if (app.sub) app.sub.close();
  const sub = app.conn.subscribe(app.sym, { since: app.series.length ? app.series.lastT : 0, onRun }, onTick);
  app.sub = sub;
  const mine = (fn) => (e) => sub === app.sub && fn(e);
  sub.addEventListener('live', mine(onLive));
  sub.addEventListener('restart', mine(() => {
    app.series.clear();
    app.resetNext = true;
  }));
  sub.addEventListener('reload', mine(() => {
    app.series.clear();
    app.chart.update({ reset: true });
    notice('warn', `History was reset on the server (new epoch): ${app.sym} was reloaded from the start.`);
    onCatchup();
  }));
  sub.addEventListener('retry', mine(() => {
    notice('warn', `No answer from the gateway for ${app.sym}; asking again.`);
    onCatchup();
  }));
  sub.addEventListener('error', mine((e) => {
    app.phase = 'error';
    setState('live'); // the connection is fine; the overlay says what is not
    $('loading-text').textContent = `Cannot show ${e.detail.sym}: ${e.detail.msg}`;
    renderLoading();
  }));
  onCatchup();
}

/** A catch-up was asked for (a new subscription, or a resume after a reconnect). */
function onCatchup() {
  if (!app.sub || !app.conn.open) return;
  app.phase = app.sub.phase;
  setState('catching up');
  renderLoading();
}

// A name missing from the config is still asked for: the list may be older
// than the gateway's, and for a mistyped link the gateway's unknown_sym
// error is shown where the chart would be.
function switchTo(sym) {
  if (!sym) return;
  app.picker.show(sym);
  if (sym === app.sym) return;
  app.sym = sym;
  app.series.clear();
  renderTitle();
  app.phase = 'idle';
  app.chart.update({ reset: true });
  renderHeader(null);
  renderLoading();
  subscribe();
}

/** A run of history from the module: tick i at t0 + i*dt. */
function onRun(t0, dt, p) {
  app.series.pushRun(t0, dt, p);
  app.lastDataAt = Date.now();
  app.phase = app.sub.phase;
  app.chart.update({ reset: app.resetNext });
  app.resetNext = false;
  renderLoading();
  renderTitle();
}

/** The catch-up ended: what follows is live. */
function onLive() {
  app.phase = 'live';
  setState('live');
  app.chart.update({ reset: app.resetNext });
  app.resetNext = false;
  renderLoading();
  renderTitle();
}

function onTick({ t, p }) {
  const s = app.series;
  if (!s.push(t, p)) return;
  app.lastDataAt = Date.now();
  // Keep about the retention window; trimming in steps keeps it O(1) per tick.
  const keep = app.cfg.retention_ms;
  if (keep > 0 && s.lastT - s.firstT > keep * 1.02 + 10 * app.cfg.interval_ms) s.trimBefore(s.lastT - keep);
  app.chart.update();
  renderTitle();
}

/** Every `err` of the gateway is shown; the subscription's own stop the chart (subscribe). */
function onError(m) {
  const about = m.sym ? ` (${m.sym})` : '';
  notice('error', `Gateway error ${m.code}${about}: ${m.msg}`);
}

/** Runs every 500 ms: the countdown and staleness (the module asks again for a lost catch-up). */
function watch() {
  renderConn();
}

// ---- start-up -------------------------------------------------------------------

/** After an epoch change: new instrument list and interval, if they changed. */
async function refreshConfig() {
  try {
    const cfg = await fetchConfig();
    app.cfg = cfg;
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

async function fetchConfig() {
  const r = await fetch('api/config', { cache: 'no-store' });
  if (!r.ok) throw new Error(`HTTP ${r.status}`);
  const cfg = await r.json();
  if (!Array.isArray(cfg.instruments) || cfg.instruments.length === 0) throw new Error('no instruments');
  return cfg;
}

/** The first config, retried with backoff: nothing works without it. */
async function loadConfig() {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetchConfig();
    } catch (e) {
      const delay = Math.min(15000, 500 * 2 ** attempt);
      setState('reconnecting', { code: 0, reason: `config: ${e.message}`, retryAt: Date.now() + delay, attempt: attempt + 1 });
      await new Promise((res) => setTimeout(res, delay));
    }
  }
}

// #board is the market watch (board.js); any other hash is an instrument's chart.
function route() {
  const h = decodeURIComponent(location.hash.slice(1));
  const board = h === 'board';
  document.body.dataset.view = board ? 'board' : 'chart';
  if (board) {
    app.board.start();
    app.board.show();
    document.title = 'board · tickstream';
  } else {
    app.board.hide();
    switchTo(h || app.cfg.instruments[0]);
    renderTitle();
  }
}

function keys(e) {
  if (document.body.dataset.view === 'board') return;
  if (e.key === 'Escape' && !e.target.closest('input, textarea')) {
    location.hash = 'board';
    return;
  }
  if (e.target.closest('input, textarea') || e.ctrlKey || e.metaKey || e.altKey) return;
  const c = app.chart, x = c.u.scales.x;
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
  app.chart = new Chart($('chart'), app.series, { onView: renderHeader });
  $('btn-reset').onclick = () => app.chart.reset();
  $('btn-live').onclick = () => app.chart.live();
  $('retry').onclick = () => app.conn && app.conn.retryNow();
  for (const b of document.querySelectorAll('[data-range]')) b.onclick = () => app.chart.last(Number(b.dataset.range) * 1000);
  document.addEventListener('keydown', keys);
  setInterval(watch, 500);

  app.cfg = await loadConfig();
  app.epoch = app.cfg.epoch ?? null;
  app.chart.interval = app.cfg.interval_ms || 1000;
  renderInterval();
  app.picker = new Picker($('picker'), $('picker-list'), (sym) => {
    if (location.hash !== '#' + sym) location.hash = sym;
    else switchTo(sym);
  });
  app.picker.setNames(app.cfg.instruments);
  setState('connecting');
  app.conn = connect(undefined, { epoch: app.epoch });
  app.conn.addEventListener('open', onCatchup);
  app.conn.addEventListener('down', (e) => setState('reconnecting', e.detail));
  app.conn.addEventListener('error', (e) => onError(e.detail));
  app.conn.addEventListener('epoch', (e) => {
    app.epoch = e.detail.epoch;
    refreshConfig(); // a new history may have other instruments or interval
  });
  // Background tabs get their timers throttled to once a minute: when the
  // user comes back, reconnect now rather than when the countdown fires.
  document.addEventListener('visibilitychange', () => !document.hidden && app.conn.retryNow());
  app.board = new Board($('board'), (sym) => (location.hash = sym));
  window.addEventListener('hashchange', route);
  if (!location.hash) history.replaceState(null, '', '#' + app.cfg.instruments[0]);
  route();
}

// Read-only view for tests and the console; copies, never the live buffers.
window.tickstream = {
  get sym() {
    return app.sym;
  },
  get state() {
    return app.state;
  },
  get phase() {
    return app.phase;
  },
  get epoch() {
    return app.conn && app.conn.epoch !== null ? app.conn.epoch : app.epoch;
  },
  get length() {
    return app.series.length;
  },
  get lastT() {
    return app.series.lastT;
  },
  get instruments() {
    return app.cfg ? app.cfg.instruments.slice() : [];
  },
  get view() {
    const x = app.chart ? app.chart.u.scales.x : {};
    return { mode: app.chart ? app.chart.mode : null, min: x.min, max: x.max };
  },
  get notices() {
    return app.notices.map((n) => ({ ...n }));
  },
  get draw() {
    return app.chart ? { ...app.chart.stats } : null;
  },
  get ignored() {
    return app.conn ? app.conn.ignored : 0;
  },
  series: () => app.series.copy(),
  board: () => app.board && app.board.snapshot(),
};

main();
