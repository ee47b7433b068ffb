// inspect.js — the page's state as tests and the console read it
// (`window.tickstream`): getters and copies, never the live buffers, so a
// reader cannot change what the page draws.

/** The read-only view of the page object `app` (app.js). */
export function inspect(app) {
  return {
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
    get since() {
      return app.since;
    },
    get kind() {
      return app.kind;
    },
    get timeframe() {
      return app.tf;
    },
    /** The buckets held: {w, source, live, version (bumped by each change), t, o, h, l, c, n} (copies). */
    frame() {
      const f = app.view.frame;
      return f && { w: f.w, source: f.source, from: f.from, to: f.to, live: f.isLive, tail: f.ticksFrom, version: f.version, ...f.cols() };
    },
    get marks() {
      return { ...app.marks };
    },
    get boot() {
      return { ...app.boot };
    },
    get ranges() {
      return { ...app.view.stats, pending: app.view.main !== null || (app.view.tail !== null && !app.view.tail.done) };
    },
    get plotWidth() {
      return app.chart ? app.chart.plotWidth : 0;
    },
    get lastT() {
      return app.series.lastT;
    },
    get instruments() {
      return app.cfg ? app.cfg.instruments.slice() : [];
    },
    get view() {
      const x = app.chart ? app.chart.x : {};
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
}
