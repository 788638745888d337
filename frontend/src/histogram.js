import { themeColors, withAlpha } from "./colors.js";
import { formatNumber, formatTick, niceTicks } from "./format.js";
import { recordHistogramTicks } from "./testhooks.js";

// Canvas drawings for logged histograms. An item is {step, meta: {edges: [n+1], counts: [n]}}.

const MARGIN = { left: 52, right: 10, top: 8, bottom: 22 };
const MAX_RIDGES = 24;

export function validHistogram(item) {
  const edges = item?.meta?.edges;
  const counts = item?.meta?.counts;
  return Array.isArray(edges) && Array.isArray(counts) && counts.length > 0 && edges.length === counts.length + 1
    && Number.isFinite(edges[0]) && Number.isFinite(edges[edges.length - 1]);
}

function valueRange(items) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const item of items) {
    const edges = item.meta.edges;
    lo = Math.min(lo, edges[0]);
    hi = Math.max(hi, edges[edges.length - 1]);
  }
  if (!(hi > lo)) {
    const pad = Math.abs(lo) * 0.05 || 0.5;
    return [lo - pad, hi + pad];
  }
  return [lo, hi];
}

function maxCount(item) {
  let max = 0;
  for (const c of item.meta.counts) if (c > max) max = c;
  return max;
}

function rgb(hex) {
  const value = parseInt(hex.slice(1), 16);
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
}

// Size the backing store to the element's CSS size at the device pixel ratio; returns a 2D context in CSS pixels.
function prepare(canvas, height) {
  const width = Math.max(120, Math.floor(canvas.clientWidth || canvas.parentElement?.clientWidth || 300));
  const ratio = window.devicePixelRatio || 1;
  canvas.style.height = `${height}px`;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  const plot = {
    x: MARGIN.left,
    y: MARGIN.top,
    w: Math.max(10, width - MARGIN.left - MARGIN.right),
    h: Math.max(10, height - MARGIN.top - MARGIN.bottom),
  };
  return { ctx, width, height, ratio, plot };
}

function drawFrame(ctx, plot, theme) {
  ctx.strokeStyle = theme.grid;
  ctx.lineWidth = 1;
  ctx.strokeRect(plot.x + 0.5, plot.y + 0.5, plot.w - 1, plot.h - 1);
}

function label(ctx, theme, text, x, y, align, baseline) {
  ctx.fillStyle = theme.muted;
  ctx.font = theme.font;
  ctx.textAlign = align;
  ctx.textBaseline = baseline;
  ctx.fillText(text, x, y);
}

const EDGE_PX = 8;

function valueTicks(ctx, theme, plot, lo, hi, vertical, target = 4) {
  const values = niceTicks(lo, hi, target);
  recordHistogramTicks(values.map(formatTick));
  for (const value of values) {
    const share = hi > lo ? (value - lo) / (hi - lo) : 0.5;
    if (vertical) {
      const y = plot.y + plot.h - plot.h * share;
      const baseline = y > plot.y + plot.h - EDGE_PX ? "bottom" : y < plot.y + EDGE_PX ? "top" : "middle";
      label(ctx, theme, formatTick(value), plot.x - 6, y, "right", baseline);
    } else {
      const x = plot.x + plot.w * share;
      const align = x < plot.x + EDGE_PX ? "left" : x > plot.x + plot.w - EDGE_PX ? "right" : "center";
      label(ctx, theme, formatTick(value), x, plot.y + plot.h + 4, align, "top");
    }
  }
}

function sample(items, limit) {
  if (items.length <= limit) return items;
  const picked = [];
  for (let i = 0; i < limit; i++) picked.push(items[Math.round((i * (items.length - 1)) / (limit - 1))]);
  return picked;
}

// Steps run left to right, values bottom to top; each column is normalised to its own peak.
export function drawHeatmap(canvas, items, color, height = 150) {
  const { ctx, ratio, plot } = prepare(canvas, height);
  const theme = themeColors();
  const [lo, hi] = valueRange(items);
  const columns = sample(items, Math.max(1, Math.floor(plot.w * ratio)));
  const cols = columns.length;
  const rows = Math.max(1, Math.floor(plot.h * ratio));
  const grid = new Float32Array(cols * rows);
  const span = hi - lo;
  for (let c = 0; c < cols; c++) {
    const { edges, counts } = columns[c].meta;
    const peak = maxCount(columns[c]) || 1;
    for (let b = 0; b < counts.length; b++) {
      const value = counts[b] / peak;
      if (!(value > 0)) continue;
      const r0 = Math.max(0, Math.floor(((edges[b] - lo) / span) * rows));
      const r1 = Math.min(rows, Math.max(r0 + 1, Math.ceil(((edges[b + 1] - lo) / span) * rows)));
      for (let r = r0; r < r1; r++) {
        const index = (rows - 1 - r) * cols + c;
        if (value > grid[index]) grid[index] = value;
      }
    }
  }
  const [red, green, blue] = rgb(color);
  const image = new ImageData(cols, rows);
  const data = image.data;
  for (let i = 0; i < grid.length; i++) {
    const v = grid[i];
    if (!v) continue;
    data[i * 4] = red;
    data[i * 4 + 1] = green;
    data[i * 4 + 2] = blue;
    data[i * 4 + 3] = Math.round(40 + 215 * Math.sqrt(v));
  }
  const raster = document.createElement("canvas");
  raster.width = cols;
  raster.height = rows;
  raster.getContext("2d").putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(raster, plot.x, plot.y, plot.w, plot.h);
  drawFrame(ctx, plot, theme);
  valueTicks(ctx, theme, plot, lo, hi, true);
  const first = items[0].step;
  const last = items[items.length - 1].step;
  label(ctx, theme, `step ${formatNumber(first)}`, plot.x, plot.y + plot.h + 4, "left", "top");
  if (items.length > 1) label(ctx, theme, `step ${formatNumber(last)}`, plot.x + plot.w, plot.y + plot.h + 4, "right", "top");
  return { lo, hi, columns, plot };
}

// Older steps at the top, the newest at the bottom; each ridge normalised to its own peak.
export function drawRidgeline(canvas, items, color, height = 150) {
  const { ctx, plot } = prepare(canvas, height);
  const theme = themeColors();
  const [lo, hi] = valueRange(items);
  const ridges = sample(items, MAX_RIDGES);
  const panel = getComputedStyle(document.documentElement).getPropertyValue("--panel").trim() || "#fff";
  const n = ridges.length;
  const gap = n > 1 ? plot.h / (n + 1.5) : 0;
  const amplitude = n > 1 ? gap * 2.5 : plot.h * 0.9;
  const xOf = (value) => plot.x + ((value - lo) / (hi - lo)) * plot.w;
  ctx.lineWidth = 1;
  for (let i = 0; i < n; i++) {
    const { edges, counts } = ridges[i].meta;
    const peak = maxCount(ridges[i]) || 1;
    const base = n > 1 ? plot.y + amplitude + gap * i : plot.y + plot.h;
    ctx.beginPath();
    ctx.moveTo(xOf(edges[0]), base);
    for (let b = 0; b < counts.length; b++) {
      const y = base - (counts[b] / peak) * amplitude;
      ctx.lineTo(xOf(edges[b]), y);
      ctx.lineTo(xOf(edges[b + 1]), y);
    }
    ctx.lineTo(xOf(edges[edges.length - 1]), base);
    ctx.closePath();
    ctx.fillStyle = panel;
    ctx.fill();
    ctx.fillStyle = withAlpha(color, 0.18 + (0.5 * (i + 1)) / n);
    ctx.fill();
    ctx.strokeStyle = color;
    ctx.stroke();
    if (n <= 8 || i === 0 || i === n - 1 || i % Math.ceil(n / 6) === 0) {
      label(ctx, theme, formatNumber(ridges[i].step), plot.x - 6, base, "right", "middle");
    }
  }
  valueTicks(ctx, theme, plot, lo, hi, false);
  return { lo, hi, plot };
}

// The latest histogram of each run drawn on shared axes. series: [{color, item}].
export function drawOverlay(canvas, series, height = 190) {
  const { ctx, plot } = prepare(canvas, height);
  const theme = themeColors();
  const items = series.map((s) => s.item);
  const [lo, hi] = valueRange(items);
  let top = 0;
  for (const item of items) top = Math.max(top, maxCount(item));
  if (!(top > 0)) top = 1;
  const xOf = (value) => plot.x + ((value - lo) / (hi - lo)) * plot.w;
  const yOf = (count) => plot.y + plot.h - (count / top) * plot.h;
  ctx.strokeStyle = theme.grid;
  for (let i = 1; i < 4; i++) {
    const y = Math.round(plot.y + (plot.h * i) / 4) + 0.5;
    ctx.beginPath();
    ctx.moveTo(plot.x, y);
    ctx.lineTo(plot.x + plot.w, y);
    ctx.stroke();
  }
  for (const { color, item } of series) {
    const { edges, counts } = item.meta;
    ctx.beginPath();
    ctx.moveTo(xOf(edges[0]), yOf(0));
    for (let b = 0; b < counts.length; b++) {
      ctx.lineTo(xOf(edges[b]), yOf(counts[b]));
      ctx.lineTo(xOf(edges[b + 1]), yOf(counts[b]));
    }
    ctx.lineTo(xOf(edges[edges.length - 1]), yOf(0));
    ctx.fillStyle = withAlpha(color, 0.16);
    ctx.fill();
    ctx.strokeStyle = color;
    ctx.lineWidth = 1.5;
    ctx.stroke();
  }
  drawFrame(ctx, plot, theme);
  valueTicks(ctx, theme, plot, lo, hi, false);
  valueTicks(ctx, theme, plot, 0, top, true, 2);
  return { lo, hi, top, plot };
}

// The bin under a CSS x position of a drawn histogram, for hover read-outs.
export function binAt(item, lo, hi, plot, x) {
  const value = lo + ((x - plot.x) / plot.w) * (hi - lo);
  const { edges, counts } = item.meta;
  if (value < edges[0] || value > edges[edges.length - 1]) return null;
  let b = 0;
  while (b < counts.length - 1 && edges[b + 1] <= value) b += 1;
  return { from: edges[b], to: edges[b + 1], count: counts[b] };
}
