import { withAlpha } from "./colors.js";
import { canvasColors, fitText, prepareCanvas } from "./canvas.js";
import { CLICK_PX, clear, el } from "./dom.js";
import { formatTick } from "./format.js";
import { hideTooltip, showTooltip } from "./tooltip.js";

// Text over the lines: a backing in the panel's colour keeps it legible.
function boxedText(ctx, colors, text, x, y) {
  const width = ctx.measureText(text).width;
  const align = ctx.textAlign;
  const left = align === "right" ? x - width : align === "center" ? x - width / 2 : x;
  const base = ctx.textBaseline;
  const top = base === "top" ? y : base === "bottom" ? y - 13 : y - 6.5;
  const fill = ctx.fillStyle;
  ctx.fillStyle = withAlpha(colors.panel, 0.85);
  ctx.fillRect(left - 2, top - 1, width + 4, 14);
  ctx.fillStyle = fill;
  ctx.fillText(text, x, y);
}

const HEIGHT = 320;
const PAD = { right: 28, top: 12, bottom: 12 };
const HIT = 14;
const BRUSH_HALF = 8;
const HOVER_PX = 5;

/** The parallel-coordinates plot: one polyline a run across `axes` (the sweep view's
 * axis objects), drawn on one canvas however many runs there are. Dragging along an
 * axis brushes it; `onBrush(axisId, brush | null, final)` hears each move (final false)
 * and the release (a click without a drag clears the axis's brush); `onCancel()` a
 * drag the browser took back. */
export class ParallelCoordinates {
  constructor({ onBrush, onCancel, onRemoveAxis }) {
    this.onBrush = onBrush;
    this.onCancel = onCancel;
    this.onRemoveAxis = onRemoveAxis;
    this.axes = [];
    this.runs = [];
    this.brushes = new Map();
    this.colorOf = () => "#888888";
    this.isStrong = () => true;
    this.hover = -1;
    this.drag = null;
    this.layout = null;
    this.titles = el("div", { class: "parcoords-titles" });
    this.canvas = el("canvas", { class: "parcoords-canvas", "data-testid": "parcoords-canvas" });
    this.root = el("div", { class: "parcoords-plot", "data-testid": "parcoords" }, this.titles, this.canvas);
    this.canvas.addEventListener("pointerdown", (event) => this.pointerDown(event));
    this.canvas.addEventListener("pointermove", (event) => this.pointerMove(event));
    this.canvas.addEventListener("pointerup", (event) => this.pointerUp(event));
    this.canvas.addEventListener("pointercancel", () => this.cancelDrag());
    this.canvas.addEventListener("pointerleave", () => this.setHover(-1));
  }

  setData({ axes, runs, brushes, colorOf, isStrong }) {
    const ids = (list) => list.map((axis) => axis.id).join("\u0000");
    const titlesChanged = ids(axes) !== ids(this.axes);
    this.axes = axes;
    this.runs = runs;
    this.brushes = brushes;
    this.colorOf = colorOf;
    this.isStrong = isStrong;
    if (this.hover >= runs.length) this.hover = -1;
    if (titlesChanged) this.titleWidth = -1;
  }

  // The first axis's labels decide the left margin: the others' have the gaps.
  computeLayout(ctx, width) {
    const n = this.axes.length;
    const top = PAD.top;
    const bottom = HEIGHT - PAD.bottom;
    const labels = n ? this.axes[0].ticks(bottom - top).map((tick) => ctx.measureText(tick.label).width) : [];
    const left = Math.round(Math.min(Math.max(Math.max(0, ...labels) + 14, 40), 150, width / 3));
    const inner = Math.max(10, width - left - PAD.right);
    const spacing = n > 1 ? inner / (n - 1) : inner;
    const xs = this.axes.map((_, i) => (n > 1 ? left + i * spacing : left + inner / 2));
    return { width, height: HEIGHT, top, bottom, left, spacing, xs };
  }

  yOf(t) {
    const { top, bottom } = this.layout;
    return bottom - t * (bottom - top);
  }

  tOf(y) {
    const { top, bottom } = this.layout;
    return Math.min(Math.max((bottom - y) / (bottom - top), 0), 1);
  }

  renderTitles() {
    const { width, spacing, xs } = this.layout;
    if (this.titleWidth === width) return;
    this.titleWidth = width;
    clear(this.titles);
    const n = this.axes.length;
    const w = Math.max(40, Math.min(n > 1 ? spacing - 8 : 240, 180));
    this.axes.forEach((axis, i) => {
      const left = Math.min(Math.max(xs[i] - w / 2, 0), Math.max(0, width - w));
      const remove = el("button", {
        type: "button",
        class: "parcoords-remove",
        text: "×",
        title: `Remove the ${axis.name} axis`,
        "aria-label": `Remove the ${axis.name} axis`,
        onclick: () => this.onRemoveAxis(axis.id),
      });
      this.titles.append(
        el(
          "div",
          {
            class: `parcoords-title ${axis.kind}`,
            style: { left: `${left}px`, width: `${w}px` },
            title: `${axis.kind}: ${axis.name}${axis.log ? " (log scale)" : ""}`,
            "data-testid": "parcoords-axis",
            dataset: { axis: axis.id, axisName: axis.name },
          },
          el("span", { class: "parcoords-name", text: axis.name }),
          remove,
        ),
      );
    });
  }

  draw() {
    const width = Math.floor(this.root.clientWidth);
    if (!width) return false;
    const ctx = prepareCanvas(this.canvas, width, HEIGHT);
    const colors = canvasColors();
    ctx.font = colors.font;
    this.layout = this.computeLayout(ctx, width);
    this.renderTitles();
    const { xs, top, bottom } = this.layout;
    const n = this.axes.length;
    const runs = this.runs;
    const ys = new Float32Array(runs.length * n);
    for (let r = 0; r < runs.length; r++) {
      for (let a = 0; a < n; a++) {
        const t = this.axes[a].position(this.axes[a].value(runs[r]));
        ys[r * n + a] = Number.isFinite(t) ? this.yOf(t) : NaN;
      }
    }
    this.ys = ys;
    const strong = [];
    const faint = [];
    for (let r = 0; r < runs.length; r++) (this.isStrong(runs[r]) ? strong : faint).push(r);
    this.counts = { drawn: runs.length, strong: strong.length, faint: faint.length };

    const trace = (r) => {
      let pen = false;
      for (let a = 0; a < n; a++) {
        const y = ys[r * n + a];
        if (Number.isNaN(y)) {
          pen = false;
          continue;
        }
        if (pen) ctx.lineTo(xs[a], y);
        else ctx.moveTo(xs[a], y);
        pen = true;
      }
      if (n === 1 && !Number.isNaN(ys[r])) ctx.lineTo(xs[0] + 0.01, ys[r]);
    };
    ctx.lineJoin = "round";
    ctx.lineCap = "round";
    // The runs left out share one path: one stroke, however many.
    ctx.beginPath();
    for (const r of faint) trace(r);
    ctx.strokeStyle = withAlpha(colors.muted, 0.16);
    ctx.lineWidth = 1;
    ctx.stroke();
    const many = strong.length > 200;
    ctx.lineWidth = many ? 1 : 1.5;
    for (const r of strong) {
      ctx.beginPath();
      trace(r);
      ctx.strokeStyle = this.colorOf(runs[r], many ? 0.45 : 0.8);
      ctx.stroke();
    }
    if (this.hover >= 0) {
      ctx.beginPath();
      trace(this.hover);
      ctx.lineWidth = 3;
      ctx.strokeStyle = this.colorOf(runs[this.hover], 1);
      ctx.stroke();
    }

    ctx.font = colors.font;
    this.drawnTicks = {};
    for (let a = 0; a < n; a++) {
      const axis = this.axes[a];
      const x = Math.round(xs[a]) + 0.5;
      ctx.strokeStyle = colors.muted;
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, bottom);
      ctx.stroke();
      const span = this.brushSpan(axis);
      if (span) {
        const y0 = this.yOf(span[1]);
        const y1 = this.yOf(span[0]);
        ctx.fillStyle = withAlpha(colors.accent, 0.18);
        ctx.fillRect(x - BRUSH_HALF, y0, BRUSH_HALF * 2, Math.max(2, y1 - y0));
        ctx.strokeStyle = colors.accent;
        ctx.lineWidth = 1.5;
        ctx.strokeRect(x - BRUSH_HALF, y0, BRUSH_HALF * 2, Math.max(2, y1 - y0));
      }
      this.drawTicks(ctx, colors, axis, x, a === 0 ? this.layout.left - 10 : Math.min(this.layout.spacing * 0.7, 140));
      if (span && axis.type === "numeric") this.drawBrushValues(ctx, colors, axis, x, span);
    }
    return true;
  }

  drawTicks(ctx, colors, axis, x, maxWidth) {
    const { top, bottom } = this.layout;
    const ticks = axis.ticks(bottom - top);
    ctx.fillStyle = colors.muted;
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    ctx.strokeStyle = colors.muted;
    let last = Infinity;
    const drawn = (this.drawnTicks[axis.id] = []);
    for (const tick of ticks) {
      const y = this.yOf(tick.t);
      if (Math.abs(last - y) < 13) continue;
      last = y;
      ctx.beginPath();
      ctx.moveTo(x - 4, Math.round(y) + 0.5);
      ctx.lineTo(x, Math.round(y) + 0.5);
      ctx.lineWidth = 1;
      ctx.stroke();
      const text = fitText(ctx, tick.label, maxWidth);
      if (text) boxedText(ctx, colors, text, x - 7, y);
      drawn.push(text);
      ctx.strokeStyle = colors.muted;
    }
  }

  drawBrushValues(ctx, colors, axis, x, span) {
    ctx.fillStyle = colors.accent;
    const brush = this.brushes.get(axis.id);
    const labels = [
      [span[1], formatTick(brush.hi), "bottom", -2],
      [span[0], formatTick(brush.lo), "top", 2],
    ];
    for (const [t, text, baseline, dy] of labels) {
      // Right of the axis, unless that runs off the canvas (the last axis).
      const fits = x + BRUSH_HALF + 3 + ctx.measureText(text).width + 2 <= this.layout.width;
      ctx.textAlign = fits ? "left" : "right";
      ctx.textBaseline = baseline;
      boxedText(ctx, colors, text, fits ? x + BRUSH_HALF + 3 : x - BRUSH_HALF - 3, this.yOf(t) + dy);
    }
  }

  // The brush of `axis` as [t0, t1] along it, or null.
  brushSpan(axis) {
    const brush = this.brushes.get(axis.id);
    return brush ? axis.brushSpan(brush) : null;
  }

  axisAt(x, y) {
    if (!this.layout) return -1;
    const { xs, top, bottom } = this.layout;
    if (y < top - HIT || y > bottom + HIT) return -1;
    let best = -1;
    for (let a = 0; a < xs.length; a++) {
      if (Math.abs(xs[a] - x) <= HIT && (best < 0 || Math.abs(xs[a] - x) < Math.abs(xs[best] - x))) best = a;
    }
    return best;
  }

  local(event) {
    const rect = this.canvas.getBoundingClientRect();
    return [event.clientX - rect.left, event.clientY - rect.top];
  }

  pointerDown(event) {
    if (event.button !== 0) return;
    const [x, y] = this.local(event);
    const a = this.axisAt(x, y);
    if (a < 0) return;
    event.preventDefault();
    this.canvas.setPointerCapture?.(event.pointerId);
    const axis = this.axes[a];
    const t = this.tOf(y);
    const span = this.brushSpan(axis);
    const inside = span && t >= span[0] - 0.01 && t <= span[1] + 0.01;
    this.drag = { axis, startY: y, t0: t, moved: false, span: inside ? span : null };
    this.setHover(-1);
  }

  pointerMove(event) {
    const [x, y] = this.local(event);
    if (!this.drag) {
      const onAxis = this.axisAt(x, y) >= 0;
      this.canvas.style.cursor = onAxis ? "ns-resize" : "";
      this.hoverAt(x, y, event, onAxis);
      return;
    }
    const drag = this.drag;
    if (!drag.moved && Math.abs(y - drag.startY) <= CLICK_PX) return;
    drag.moved = true;
    const t = this.tOf(y);
    let lo;
    let hi;
    if (drag.span) {
      const length = drag.span[1] - drag.span[0];
      const shift = Math.min(Math.max(t - drag.t0, -drag.span[0]), 1 - drag.span[1]);
      lo = drag.span[0] + shift;
      hi = lo + length;
    } else {
      lo = Math.min(drag.t0, t);
      hi = Math.max(drag.t0, t);
    }
    drag.brush = drag.axis.brushOf(lo, hi);
    this.onBrush(drag.axis.id, drag.brush, false);
  }

  pointerUp() {
    const drag = this.drag;
    if (!drag) return;
    this.drag = null;
    this.onBrush(drag.axis.id, drag.moved ? drag.brush : null, true);
  }

  cancelDrag() {
    if (!this.drag) return;
    this.drag = null;
    this.onCancel();
  }

  hoverAt(x, y, event, onAxis) {
    const found = onAxis ? -1 : this.lineAt(x, y);
    this.setHover(found);
    if (found < 0) return;
    const run = this.runs[found];
    const color = this.colorOf(run, 1);
    showTooltip({
      title: run.name,
      rows: this.axes.map((axis) => ({ name: axis.name, value: axis.value(run) ?? null, color })),
      clientX: event.clientX,
      clientY: event.clientY,
    });
  }

  setHover(index) {
    if (index < 0) hideTooltip();
    if (index === this.hover) return;
    this.hover = index;
    cancelAnimationFrame(this.hoverFrame);
    this.hoverFrame = requestAnimationFrame(() => this.draw());
  }

  // The run whose line passes nearest (x, y), within a few pixels; the runs drawn
  // strong before the faint ones.
  lineAt(x, y) {
    if (!this.layout || !this.ys) return -1;
    const { xs } = this.layout;
    const n = this.axes.length;
    let a = 0;
    while (a < n - 1 && xs[a + 1] < x) a++;
    if (n < 2 || x < xs[0] - HOVER_PX || x > xs[n - 1] + HOVER_PX) return -1;
    const b = Math.min(a + 1, n - 1);
    const x0 = xs[a];
    const x1 = xs[b];
    const share = x1 > x0 ? Math.min(Math.max((x - x0) / (x1 - x0), 0), 1) : 0;
    let best = -1;
    let bestScore = Infinity;
    for (let r = 0; r < this.runs.length; r++) {
      const y0 = this.ys[r * n + a];
      const y1 = this.ys[r * n + b];
      if (Number.isNaN(y0) || Number.isNaN(y1)) continue;
      const distance = Math.abs(y0 + (y1 - y0) * share - y);
      if (distance > HOVER_PX) continue;
      const score = distance + (this.isStrong(this.runs[r]) ? 0 : HOVER_PX);
      if (score < bestScore) {
        bestScore = score;
        best = r;
      }
    }
    return best;
  }

  /** Where `value` sits on the axis `axisId`, in client coordinates (for the tests). */
  clientPoint(axisId, value) {
    const a = this.axes.findIndex((axis) => axis.id === axisId);
    if (a < 0 || !this.layout) return null;
    const t = this.axes[a].position(value);
    if (!Number.isFinite(t)) return null;
    const rect = this.canvas.getBoundingClientRect();
    return { x: rect.left + this.layout.xs[a], y: rect.top + this.yOf(t) };
  }
}
