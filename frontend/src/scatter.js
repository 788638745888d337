import { withAlpha } from "./colors.js";
import { CLICK_PX, el } from "./dom.js";
import { canvasColors, fitText, prepareCanvas } from "./canvas.js";
import { hideTooltip, showTooltip } from "./tooltip.js";

const HEIGHT = 340;
const PAD = { top: 12, right: 18, bottom: 40 };
const HOVER_PX = 10;
// Numeric values stop short of the frame, so a dot at either end stays whole.
const INSET = 0.04;

// A run's fixed offset within its category, in [-1, 1]: the runs sharing a value
// spread out instead of hiding one another, and stay put between draws.
function jitter(id, salt) {
  let h = 2166136261 ^ salt;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return ((h >>> 0) / 4294967295) * 2 - 1;
}

function share(axis, t) {
  return axis.type === "categorical" ? t : INSET + (1 - 2 * INSET) * t;
}

/** The scatter plot: a dot a run (in its colour) at two axes' values. Dragging a
 * rectangle calls `onRect({x0, y0, x1, y1})` (fractions of the plot, y from the top);
 * a double-click calls `onClear()`. */
export class ScatterPlot {
  constructor({ onRect, onClear }) {
    this.onRect = onRect;
    this.onClear = onClear;
    this.runs = [];
    this.count = 0;
    this.dots = [];
    this.plot = null;
    this.drag = null;
    this.canvas = el("canvas", { class: "scatter-canvas", "data-testid": "scatter-canvas" });
    this.band = el("div", { class: "scatter-rect", hidden: true, "data-testid": "scatter-rect" });
    this.root = el("div", { class: "scatter-plot", "data-testid": "scatter" }, this.canvas, this.band);
    this.canvas.addEventListener("pointerdown", (event) => this.pointerDown(event));
    this.canvas.addEventListener("pointermove", (event) => this.pointerMove(event));
    this.canvas.addEventListener("pointerup", (event) => this.pointerUp(event));
    this.canvas.addEventListener("pointercancel", () => this.endDrag());
    this.canvas.addEventListener("pointerleave", () => hideTooltip());
    this.canvas.addEventListener("dblclick", () => this.onClear());
  }

  setData({ x, y, runs, isStrong, rect }) {
    this.x = x;
    this.y = y;
    this.runs = runs;
    this.isStrong = isStrong;
    this.rect = rect;
  }

  draw() {
    const width = Math.floor(this.root.clientWidth);
    if (!width || !this.x || !this.y) return;
    const ctx = prepareCanvas(this.canvas, width, HEIGHT);
    const colors = canvasColors();
    ctx.font = colors.font;
    const plotHeight = HEIGHT - PAD.top - PAD.bottom;
    const yTicks = this.y.ticks(plotHeight).map((tick) => ({ ...tick, label: fitText(ctx, tick.label, 90) }));
    const labelWidth = Math.max(0, ...yTicks.map((tick) => ctx.measureText(tick.label).width));
    const left = Math.ceil(22 + labelWidth + 8);
    const plot = { x: left, y: PAD.top, w: Math.max(20, width - left - PAD.right), h: plotHeight };
    this.plot = plot;
    const px = (t) => plot.x + share(this.x, t) * plot.w;
    const py = (t) => plot.y + plot.h - share(this.y, t) * plot.h;

    ctx.strokeStyle = colors.grid;
    ctx.lineWidth = 1;
    ctx.strokeRect(plot.x + 0.5, plot.y + 0.5, plot.w - 1, plot.h - 1);
    ctx.fillStyle = colors.muted;
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    let lastY = Infinity;
    for (const tick of yTicks) {
      const y = Math.round(py(tick.t)) + 0.5;
      if (Math.abs(lastY - y) < 13) continue;
      lastY = y;
      ctx.beginPath();
      ctx.moveTo(plot.x, y);
      ctx.lineTo(plot.x + plot.w, y);
      ctx.stroke();
      ctx.fillText(tick.label, plot.x - 6, y);
    }
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    let lastRight = -Infinity;
    const xTicks = this.x.ticks(plot.w * 0.6);
    const xLabelMax = Math.max(40, plot.w / Math.max(1, xTicks.length) - 8);
    for (const tick of xTicks) {
      const x = Math.round(px(tick.t)) + 0.5;
      const label = fitText(ctx, tick.label, Math.min(xLabelMax, 140));
      const half = ctx.measureText(label).width / 2;
      const center = Math.min(Math.max(x, half), width - half);
      ctx.beginPath();
      ctx.moveTo(x, plot.y);
      ctx.lineTo(x, plot.y + plot.h);
      ctx.stroke();
      if (center - half < lastRight + 8) continue;
      lastRight = center + half;
      ctx.fillText(label, center, plot.y + plot.h + 5);
    }
    ctx.fillStyle = colors.fg;
    ctx.fillText(fitText(ctx, this.x.name, plot.w), plot.x + plot.w / 2, plot.y + plot.h + 22);
    ctx.save();
    ctx.translate(9, plot.y + plot.h / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = "middle";
    ctx.fillText(fitText(ctx, this.y.name, plot.h), 0, 0);
    ctx.restore();

    const dots = [];
    for (const run of this.runs) {
      const xv = this.x.value(run);
      const yv = this.y.value(run);
      let tx = this.x.position(xv);
      let ty = this.y.position(yv);
      if (!Number.isFinite(tx) || !Number.isFinite(ty)) continue;
      if (this.x.type === "categorical") tx += (jitter(run.id, 1) * 0.3) / this.x.categories.length;
      if (this.y.type === "categorical") ty += (jitter(run.id, 2) * 0.3) / this.y.categories.length;
      dots.push({ run, x: px(tx), y: py(ty), xv, yv, strong: this.isStrong(run) });
    }
    this.dots = dots;
    this.count = dots.length;
    const radius = dots.length > 300 ? 3 : 4.5;
    ctx.fillStyle = withAlpha(colors.muted, 0.3);
    ctx.beginPath();
    for (const dot of dots) {
      if (dot.strong) continue;
      ctx.moveTo(dot.x + radius, dot.y);
      ctx.arc(dot.x, dot.y, radius, 0, Math.PI * 2);
    }
    ctx.fill();
    ctx.strokeStyle = colors.panel;
    ctx.lineWidth = 1;
    for (const dot of dots) {
      if (!dot.strong) continue;
      ctx.beginPath();
      ctx.arc(dot.x, dot.y, radius, 0, Math.PI * 2);
      ctx.fillStyle = dot.run.color;
      ctx.fill();
      ctx.stroke();
    }
    this.showRect(this.rect);
  }

  showRect(rect) {
    const plot = this.plot;
    this.band.hidden = !rect || !plot;
    if (this.band.hidden) return;
    Object.assign(this.band.style, {
      left: `${plot.x + rect.x0 * plot.w}px`,
      top: `${plot.y + rect.y0 * plot.h}px`,
      width: `${(rect.x1 - rect.x0) * plot.w}px`,
      height: `${(rect.y1 - rect.y0) * plot.h}px`,
    });
  }

  runsInside(rect) {
    const plot = this.plot;
    if (!plot) return [];
    const [x0, x1] = [plot.x + rect.x0 * plot.w, plot.x + rect.x1 * plot.w];
    const [y0, y1] = [plot.y + rect.y0 * plot.h, plot.y + rect.y1 * plot.h];
    return this.dots.filter((dot) => dot.x >= x0 && dot.x <= x1 && dot.y >= y0 && dot.y <= y1).map((dot) => dot.run);
  }

  local(event) {
    const rect = this.canvas.getBoundingClientRect();
    return [event.clientX - rect.left, event.clientY - rect.top];
  }

  fraction(x, y) {
    const plot = this.plot;
    return [
      Math.min(Math.max((x - plot.x) / plot.w, 0), 1),
      Math.min(Math.max((y - plot.y) / plot.h, 0), 1),
    ];
  }

  pointerDown(event) {
    if (event.button !== 0 || !this.plot) return;
    const [x, y] = this.local(event);
    const plot = this.plot;
    if (x < plot.x || x > plot.x + plot.w || y < plot.y || y > plot.y + plot.h) return;
    event.preventDefault();
    this.canvas.setPointerCapture?.(event.pointerId);
    this.drag = { x, y, moved: false };
    hideTooltip();
  }

  pointerMove(event) {
    const [x, y] = this.local(event);
    const drag = this.drag;
    if (!drag) {
      this.hoverAt(x, y, event);
      return;
    }
    if (!drag.moved && Math.hypot(x - drag.x, y - drag.y) <= CLICK_PX) return;
    drag.moved = true;
    const [fx0, fy0] = this.fraction(drag.x, drag.y);
    const [fx1, fy1] = this.fraction(x, y);
    drag.rect = { x0: Math.min(fx0, fx1), x1: Math.max(fx0, fx1), y0: Math.min(fy0, fy1), y1: Math.max(fy0, fy1) };
    this.showRect(drag.rect);
  }

  pointerUp() {
    const drag = this.drag;
    this.endDrag();
    if (drag?.moved && drag.rect) this.onRect(drag.rect);
  }

  endDrag() {
    this.drag = null;
    this.showRect(this.rect);
  }

  hoverAt(x, y, event) {
    let best = null;
    let distance = HOVER_PX;
    for (const dot of this.dots) {
      const d = Math.hypot(dot.x - x, dot.y - y) - (dot.strong ? 1 : 0);
      if (d < distance) {
        distance = d;
        best = dot;
      }
    }
    if (!best) {
      hideTooltip();
      return;
    }
    showTooltip({
      title: best.run.name,
      rows: [
        { name: this.x.name, value: best.xv, color: best.run.color },
        { name: this.y.name, value: best.yv, color: best.run.color },
      ],
      clientX: event.clientX,
      clientY: event.clientY,
    });
  }

  /** Where the values (x, y) sit on the plot, in client coordinates (for the tests). */
  clientPoint(xValue, yValue) {
    if (!this.plot) return null;
    const tx = this.x.position(xValue);
    const ty = this.y.position(yValue);
    if (!Number.isFinite(tx) || !Number.isFinite(ty)) return null;
    const rect = this.canvas.getBoundingClientRect();
    return {
      x: rect.left + this.plot.x + share(this.x, tx) * this.plot.w,
      y: rect.top + this.plot.y + this.plot.h - share(this.y, ty) * this.plot.h,
    };
  }
}
