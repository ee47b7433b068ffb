// gestures.js — zoom and pan on the plot, with a mouse or fingers:
//   wheel: zoom (at the pointer when the view is fixed); horizontal wheel:
//   pan; shift- or middle-drag: pan (uPlot's own drag selects a window);
//   double click: everything; one finger: pan; two fingers: pinch to zoom
//   around their middle.
// `chart` is a Chart (chart.js): view(min, max), zoom(factor, atX), pan(ms),
// x (the window), u (the uPlot), mode.

const ZOOM_STEP = 1.25;

export function attachGestures(over, chart) {
  const u = chart.u;
  over.addEventListener('wheel', (e) => {
    e.preventDefault();
    const x = chart.x;
    if (x.min == null) return;
    if (Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
      chart.pan(((x.max - x.min) * e.deltaX) / over.clientWidth);
      return;
    }
    const atX = u.posToVal(e.offsetX, 'x');
    chart.zoom(e.deltaY < 0 ? 1 / ZOOM_STEP : ZOOM_STEP, e.shiftKey || chart.mode === 'fixed' ? atX : null);
  }, { passive: false });

  over.addEventListener('dblclick', () => chart.reset());

  // Capture phase, so uPlot's own drag-to-zoom never sees a pan gesture.
  over.addEventListener('mousedown', (e) => {
    if (!(e.shiftKey || e.button === 1)) return;
    e.preventDefault();
    e.stopPropagation();
    const x0 = e.clientX, min0 = chart.x.min, max0 = chart.x.max;
    if (min0 == null) return;
    const move = (m) => {
      const dms = ((x0 - m.clientX) * (max0 - min0)) / over.clientWidth;
      chart.view(min0 + dms, max0 + dms);
    };
    const up = () => {
      window.removeEventListener('mousemove', move);
      window.removeEventListener('mouseup', up);
    };
    window.addEventListener('mousemove', move);
    window.addEventListener('mouseup', up);
  }, true);

  // Touch: the window at the gesture's start, and where the fingers were;
  // every move sets the window from those, so rounding never accumulates.
  let start = null;
  const fingers = (e) => {
    const r = over.getBoundingClientRect();
    return Array.from(e.touches, (t) => t.clientX - r.left);
  };
  const begin = (e) => {
    const x = chart.x;
    if (x.min == null) return;
    e.preventDefault();
    start = { min: x.min, max: x.max, xs: fingers(e) };
  };
  over.addEventListener('touchstart', begin, { passive: false });
  over.addEventListener('touchmove', (e) => {
    if (!start) return;
    e.preventDefault();
    const xs = fingers(e), w = over.clientWidth, span = start.max - start.min;
    if (xs.length !== start.xs.length) return begin(e); // a finger came or went
    if (xs.length === 1) {
      const dms = ((start.xs[0] - xs[0]) * span) / w;
      chart.view(start.min + dms, start.max + dms);
    } else if (xs.length >= 2) {
      // The time under the fingers' middle stays under it; the span scales
      // with the distance between the fingers.
      const d0 = Math.abs(start.xs[1] - start.xs[0]), d1 = Math.abs(xs[1] - xs[0]);
      if (d0 < 10 || d1 < 10) return;
      const m0 = (start.xs[0] + start.xs[1]) / 2, m1 = (xs[0] + xs[1]) / 2;
      const at = start.min + (m0 / w) * span, nspan = (span * d0) / d1;
      const min = at - (m1 / w) * nspan;
      chart.view(min, min + nspan);
    }
  }, { passive: false });
  const end = (e) => (e.touches.length ? begin(e) : (start = null));
  over.addEventListener('touchend', end);
  over.addEventListener('touchcancel', end);
}
