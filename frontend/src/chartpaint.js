// Painting a chart beyond uPlot's lines: the min/max bands, the values a line cannot
// join, and a highlight composed over the last paint.
import { withAlpha } from "./colors.js";

const BAND_ALPHA = 0.14;
export const DIM_ALPHA = 0.2;

// A line needs two neighbouring values: a metric logged once, or a value whose
// neighbours are missing (or not positive on a log axis), would draw nothing at all.
export function drawLonePoints(u, traces) {
  const log = u.scales.y.distr === 3;
  const { left, top, width, height } = u.bbox;
  const usable = (v) => v != null && Number.isFinite(v) && (!log || v > 0);
  const radius = 3 * devicePixelRatio;
  const { ctx } = u;
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, width, height);
  ctx.clip();
  for (const t of traces) {
    const ys = t.smoothed;
    const n = ys.length;
    ctx.fillStyle = t.color;
    for (let i = 0; i < n; i++) {
      if (!usable(ys[i]) || (i > 0 && usable(ys[i - 1])) || (i < n - 1 && usable(ys[i + 1]))) {
        continue;
      }
      const x = u.valToPos(t.x[i], "x", true);
      const y = u.valToPos(ys[i], "y", true);
      if (x < left || x > left + width || y < top || y > top + height) continue;
      ctx.beginPath();
      ctx.arc(x, y, radius, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
  ctx.restore();
}

// Bands of one colour are filled as one path: a sweep's thousand translucent bands,
// filled one by one, blend each pixel hundreds of times.
export function drawBands(u, traces, groupAlpha) {
  const bands = traces.filter((t) => t.band);
  if (!bands.length) return;
  const { ctx } = u;
  const { left, top, width, height } = u.bbox;
  const sx = u.scales.x;
  const sy = u.scales.y;
  const log = sy.distr === 3;
  const yMin = log ? Math.log10(sy.min) : sy.min;
  const yMax = log ? Math.log10(sy.max) : sy.max;
  const kx = width / (sx.max - sx.min);
  const ky = height / (yMax - yMin);
  const bottom = top + height;
  const px = (v) => left + (v - sx.min) * kx;
  const py = log ? (v) => bottom - (Math.log10(v) - yMin) * ky : (v) => bottom - (v - yMin) * ky;
  const paths = new Map();
  for (const t of bands) {
    const alpha = t.group !== undefined ? groupAlpha : BAND_ALPHA;
    const fill = withAlpha(t.color, alpha);
    let path = paths.get(fill);
    if (!path) paths.set(fill, (path = new Path2D()));
    const { lo, hi } = t.band;
    const xs = t.x;
    const n = xs.length;
    let i = 0;
    while (i < n) {
      while (i < n && (lo[i] == null || hi[i] == null)) i++;
      const start = i;
      while (i < n && lo[i] != null && hi[i] != null) i++;
      if (i === start) continue;
      path.moveTo(px(xs[start]), py(hi[start]));
      for (let k = start + 1; k < i; k++) path.lineTo(px(xs[k]), py(hi[k]));
      for (let k = i - 1; k >= start; k--) path.lineTo(px(xs[k]), py(lo[k]));
      path.closePath();
    }
  }
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, width, height);
  ctx.clip();
  for (const [fill, path] of paths) {
    ctx.fillStyle = fill;
    ctx.fill(path);
  }
  ctx.restore();
}

/** Copies of a chart's canvas as uPlot last painted it, "under" (axes and grid, before
 * any band or line) and "full" (everything, undimmed), and the highlight composed from
 * them: repainting a thousand lines at another alpha takes a frame or several, this
 * costs the same whatever the runs. */
export class PaintLayers {
  constructor() {
    this.layers = {};
    this.fullKept = false;
  }

  // Called when uPlot has painted the axes, before the bands and lines.
  keepUnder(u) {
    this.keep(u, "under");
  }

  // Called when uPlot has painted it all: "full" is copied when a highlight first needs
  // it, as a copy makes the browser rasterise a thousand lines at once.
  painted() {
    this.fullKept = false;
  }

  keep(u, name) {
    const canvas = u.ctx.canvas;
    let layer = this.layers[name];
    if (!layer) layer = this.layers[name] = document.createElement("canvas");
    if (layer.width !== canvas.width || layer.height !== canvas.height) {
      layer.width = canvas.width;
      layer.height = canvas.height;
    }
    const ctx = layer.getContext("2d");
    ctx.clearRect(0, 0, layer.width, layer.height);
    ctx.drawImage(canvas, 0, 0);
  }

  // The last paint again, with every line but the highlighted ones dimmed: the axes,
  // then the whole paint faintly over them, then the highlighted lines (their band,
  // their raw line when smoothed, a rim and the line) on top.
  compose(u, traces, theme) {
    if (!this.fullKept) {
      this.keep(u, "full");
      this.fullKept = true;
    }
    const { under, full } = this.layers;
    if (!under || !full) return;
    const { ctx } = u;
    const lit = traces.filter((t) => t.highlighted);
    ctx.save();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, ctx.canvas.width, ctx.canvas.height);
    if (!lit.length) {
      ctx.drawImage(full, 0, 0);
      ctx.restore();
      return;
    }
    ctx.drawImage(under, 0, 0);
    ctx.globalAlpha = DIM_ALPHA;
    ctx.drawImage(full, 0, 0);
    ctx.restore();
    drawBands(u, lit, theme.bandAlpha);
    const { left, top, width, height } = u.bbox;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    ctx.lineJoin = "round";
    ctx.lineCap = "round";
    for (const t of lit) {
      const raw = t.rawSeries ? u.series[t.rawSeries] : null;
      if (raw?._paths?.stroke instanceof Path2D) {
        ctx.strokeStyle = withAlpha(t.color, 0.28);
        ctx.lineWidth = raw.width * devicePixelRatio;
        ctx.stroke(raw._paths.stroke);
      }
    }
    for (const t of lit) {
      const s = u.series[t.series];
      const path = s?._paths?.stroke;
      if (!(path instanceof Path2D)) continue;
      // A rim in the panel's colour parts the line from the dimmed mass under it.
      ctx.strokeStyle = withAlpha(theme.panel, 0.7);
      ctx.lineWidth = (s.width + 4) * devicePixelRatio;
      ctx.stroke(path);
      ctx.strokeStyle = t.color;
      ctx.lineWidth = (s.width + 1.25) * devicePixelRatio;
      ctx.stroke(path);
    }
    ctx.restore();
    drawLonePoints(u, lit);
  }
}
