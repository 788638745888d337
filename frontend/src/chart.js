import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { CLICK_PX, el } from "./dom.js";
import { colorAt, themeColors, withAlpha } from "./colors.js";
import { debiasedEma } from "./smoothing.js";
import { formatDuration, formatNumber, formatTick, formatTime, formatWallTicks } from "./format.js";
import { hideTooltip, showTooltip } from "./tooltip.js";
import { DIM_ALPHA, PaintLayers, drawBands, drawLonePoints } from "./chartpaint.js";
import { selectedRuns } from "./state.js";
import { GroupCache } from "./grouping.js";
import { groupColors, groupKey, groupLabel } from "./runlist.js";
import { focusGroup, highlightedRuns, hoverRuns, pinRun, trackChart, untrackChart } from "./highlight.js";

// Many overlaid runs share one budget of points per chart: past ~50 lines a point per
// pixel per run adds bytes and drawing time but nothing a reader can see (at 1,000
// runs, 25 points a line draw the same picture as 50 in half the time); the min/max
// band still shows every spike.
const POINTS_PER_CHART = 25000;
const MIN_POINTS_PER_RUN = 25;

const HEIGHT = 230;
const EXPANDED_HEIGHT = 520;
const LEGEND_RUNS = 8;
const NEAREST_PX = 24;
// How long a click waits to be sure it is not the first of a double-click.
const DOUBLE_CLICK_MS = 300;
// Dimmed lines stay readable as context but far enough back for the highlighted one
// to stand out among hundreds.
const GROUP_POINTS = 2000;
const linearPaths = uPlot.paths.linear();
// Steps are whole numbers: a tick at step 2.5 names nothing.
const INTEGER_INCREMENTS = [];
for (let e = 0; e <= 15; e++) for (const m of [1, 2, 5]) INTEGER_INCREMENTS.push(m * 10 ** e);

export function xAxisLabel(xMode) {
  if (xMode === "step") return "Step";
  if (xMode === "time") return "Wall time";
  if (xMode === "relative") return "Relative time";
  return xMode;
}

function isSorted(xs) {
  for (let i = 1; i < xs.length; i++) if (xs[i] < xs[i - 1]) return false;
  return true;
}

function nearestIndex(xs, target, sorted) {
  const n = xs.length;
  if (!n) return -1;
  if (sorted) {
    let lo = 0;
    let hi = n - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (xs[mid] < target) lo = mid;
      else hi = mid;
    }
    return target - xs[lo] <= xs[hi] - target ? lo : hi;
  }
  let best = 0;
  for (let i = 1; i < n; i++) if (Math.abs(xs[i] - target) < Math.abs(xs[best] - target)) best = i;
  return best;
}

function positiveOnly(values) {
  return values.map((v) => (v != null && v > 0 ? v : null));
}

function padFlat(lo, hi, fallback) {
  const span = hi - lo;
  const scale = Math.max(Math.abs(lo), Math.abs(hi));
  if (span > scale * 1e-9 && span > 0) return [lo, hi];
  const pad = scale * 0.05 || fallback;
  return [lo - pad, hi + pad];
}

function xFormatter(xMode) {
  if (xMode === "time") return formatTime;
  if (xMode === "relative") return formatDuration;
  return formatNumber;
}

// Measured on every layout cycle: the labels of the final ticks must fit, not those of
// the first guess (a cut-off "0.001005" reads as ".001005").
function axisSize(u, values, axisIdx) {
  const axis = u.axes[axisIdx];
  let size = axis.ticks.size + axis.gap;
  const longest = (values || []).reduce((acc, v) => (v && v.length > acc.length ? v : acc), "");
  if (longest) {
    u.ctx.font = axis.font[0];
    size += u.ctx.measureText(longest).width / devicePixelRatio;
  }
  return Math.ceil(size) + 4;
}

export class Chart {
  // `title` is what the chart is shown as (a system metric's name without `system/`),
  // `unit` what its values are in, `system` whether it charts a system metric.
  constructor(metric, onChange = () => {}, { title = metric, unit = "", system = false } = {}) {
    this.metric = metric;
    this.title = title;
    this.unit = unit;
    this.system = system;
    this.onChange = onChange;
    this.series = new Map();
    this.groups = new GroupCache();
    this.traces = [];
    this.grouped = false;
    this.highlightKey = "";
    this.nearest = null;
    this.hovering = false;
    this.builds = 0;
    this.paint = new PaintLayers();
    this.uplot = null;
    this.zoom = null;
    this.layout = [];
    this.drawn = false;
    this.draws = 0;
    this.liveWanted = new Set();
    this.liveBusy = false;
    this.fetching = 0;
    this.status = el("span", { class: "chart-status" });
    this.resetButton = el("button", {
      class: "chart-reset",
      type: "button",
      text: "Reset zoom",
      hidden: true,
      onclick: () => this.resetZoom(),
    });
    this.expanded = false;
    this.expandButton = el("button", {
      class: "chart-expand",
      type: "button",
      text: "⤢",
      title: "Enlarge this chart",
      "aria-label": "Enlarge this chart",
      "aria-pressed": "false",
      "data-testid": "chart-expand",
      onclick: () => this.setExpanded(!this.expanded),
    });
    this.plot = el("div", { class: "chart-plot", style: { height: `${HEIGHT}px` } });
    this.legend = el("div", { class: "chart-legend", "data-testid": "chart-legend" });
    this.root = el(
      "div",
      { class: "chart", "data-testid": "chart", dataset: { metric } },
      el(
        "div",
        { class: "chart-head" },
        el(
          "h3",
          { class: "chart-title", title: unit ? `${metric} (${unit})` : metric },
          title,
          unit ? el("span", { class: "chart-unit", text: unit }) : null,
        ),
        this.status,
        this.resetButton,
        this.expandButton,
      ),
      this.plot,
      this.legend,
    );
    trackChart(this);
  }

  height() {
    return this.expanded ? EXPANDED_HEIGHT : HEIGHT;
  }

  // Enlarged, a chart spans the whole row and is taller; Escape or the button undo it.
  setExpanded(expanded) {
    this.expanded = expanded;
    this.root.classList.toggle("expanded", expanded);
    this.expandButton.title = expanded ? "Back to normal size" : "Enlarge this chart";
    this.expandButton.setAttribute("aria-label", this.expandButton.title);
    this.expandButton.setAttribute("aria-pressed", String(expanded));
    this.plot.style.height = `${this.height()}px`;
    this.resize();
    if (expanded) {
      this.onKey ??= (event) => {
        if (event.key === "Escape") this.setExpanded(false);
      };
      document.addEventListener("keydown", this.onKey);
      this.root.scrollIntoView({ block: "nearest" });
    } else if (this.onKey) {
      document.removeEventListener("keydown", this.onKey);
    }
  }

  renderLegend(traces) {
    const shown = traces.slice(0, LEGEND_RUNS);
    const items = shown.map((t) => {
      const count = t.group !== undefined ? `(${t.runs.length} ${t.runs.length === 1 ? "run" : "runs"})` : null;
      return el(
        "span",
        {
          class: count ? "legend-item group" : "legend-item",
          title: count ? `${t.name} ${count}` : t.name,
          onmouseenter: () => hoverRuns(t.runs.map((run) => run.id)),
          onmouseleave: () => hoverRuns(null),
        },
        el("span", { class: "swatch", style: { background: t.color } }),
        el("span", { class: "legend-name", text: t.name }),
        count ? el("span", { class: "legend-count", text: count }) : null,
      );
    });
    if (traces.length > shown.length) {
      const what = this.grouped ? "group" : "run";
      items.push(el("span", { class: "legend-more", text: `+${traces.length - shown.length} more: hover a line for its ${what}` }));
    }
    this.legendItems = items.slice(0, shown.length);
    this.legend.replaceChildren(...items);
    this.legend.hidden = !traces.length;
  }

  maxPoints() {
    const width = this.plot.clientWidth || 600;
    const perPixel = Math.max(200, Math.min(2000, Math.round(width)));
    const shared = Math.floor(POINTS_PER_CHART / Math.max(1, selectedRuns().length));
    return Math.max(MIN_POINTS_PER_RUN, Math.min(perPixel, shared));
  }

  setSeries(entries, afterSteps = new Map()) {
    const stale = [];
    for (const entry of entries) {
      const keep = [];
      const xs = entry.x || [];
      for (let i = 0; i < xs.length; i++) if (xs[i] != null) keep.push(i);
      const pick = (arr) => (arr ? keep.map((i) => arr[i] ?? null) : null);
      const incoming = {
        x: pick(xs),
        y: pick(entry.y || []),
        min: pick(entry.min),
        max: pick(entry.max),
        lastStep: entry.last_step ?? null,
        downsampled: Boolean(entry.downsampled),
      };
      const existing = this.series.get(entry.run);
      if (!afterSteps.has(entry.run) || !existing) {
        incoming.sorted = isSorted(incoming.x);
        this.series.set(entry.run, incoming);
        continue;
      }
      if (existing.lastStep !== afterSteps.get(entry.run)) {
        stale.push(entry.run);
        continue;
      }
      if (incoming.x.length) {
        const wasSorted = existing.sorted;
        const tail = existing.x[existing.x.length - 1];
        existing.x.push(...incoming.x);
        existing.y.push(...incoming.y);
        if (existing.min) {
          existing.min.push(...(incoming.min || incoming.y));
          existing.max.push(...(incoming.max || incoming.y));
        }
        existing.sorted = wasSorted && !(incoming.x[0] < tail) && isSorted(incoming.x);
      }
      if (incoming.lastStep != null) existing.lastStep = incoming.lastStep;
    }
    return stale;
  }

  clearSeries() {
    this.series.clear();
    this.groups = new GroupCache();
    this.liveWanted.clear();
    this.zoom = null;
  }

  pointsFor(runId) {
    return this.series.get(runId)?.x.length ?? 0;
  }

  runTraces({ runs, smoothing, logY }) {
    const traces = [];
    for (const run of runs) {
      const s = this.series.get(run.id);
      if (!s || !s.x.length) continue;
      const y = logY ? positiveOnly(s.y) : s.y;
      const smoothed = smoothing > 0 ? debiasedEma(y, smoothing) : y;
      const band = s.downsampled && s.min && s.max
        ? { lo: logY ? positiveOnly(s.min) : s.min, hi: logY ? positiveOnly(s.max) : s.max }
        : null;
      let first = Infinity;
      let last = -Infinity;
      for (const x of s.x) {
        if (x < first) first = x;
        if (x > last) last = x;
      }
      traces.push({
        id: run.id,
        run,
        runs: [run],
        name: run.name,
        color: run.color,
        x: s.x,
        y,
        smoothed,
        band,
        sorted: s.sorted,
        first,
        last,
      });
    }
    return traces;
  }

  // One line per group of the selected runs (as the runs list groups them): the mean,
  // over a min-max band of its runs. Smoothing smooths the mean and the band's edges
  // alike, so the line stays inside its band.
  groupTraces({ runs, smoothing, logY }) {
    const members = new Map();
    for (const run of runs) {
      const s = this.series.get(run.id);
      if (!s || !s.x.length) continue;
      const key = groupKey(run);
      if (!members.has(key)) members.set(key, { runs: [], series: [] });
      members.get(key).runs.push(run);
      members.get(key).series.push(s);
    }
    this.groups.retain(new Set(members.keys()));
    const colors = groupColors();
    const mask = logY ? positiveOnly : (v) => v;
    const smooth = smoothing > 0 ? (v) => debiasedEma(v, smoothing) : (v) => v;
    const traces = [];
    for (const [key, group] of members) {
      const agg = this.groups.get(key, group.series, GROUP_POINTS);
      if (!agg.x.length) continue;
      const y = mask(agg.mean);
      traces.push({
        id: `group:${key}`,
        group: key,
        runs: group.runs,
        name: groupLabel(key),
        color: colors.get(key) ?? colorAt(traces.length),
        x: agg.x,
        y,
        smoothed: smooth(y),
        band: group.runs.length > 1 ? { lo: smooth(mask(agg.lo)), hi: smooth(mask(agg.hi)) } : null,
        sorted: true,
        first: agg.x[0],
        last: agg.x[agg.x.length - 1],
      });
    }
    return traces;
  }

  render(view) {
    this.view = view;
    const { smoothing, logY, xMode } = view;
    this.grouped = Boolean(view.groupBy) && view.groupLines !== false;
    const traces = this.grouped ? this.groupTraces(view) : this.runTraces(view);
    let index = 1;
    for (const t of traces) {
      t.rawSeries = smoothing > 0 ? index++ : null;
      t.series = index++;
    }
    this.traces = traces;
    this.renderLegend(traces);
    this.updateHighlight();
    const layout = [
      xMode,
      logY,
      smoothing > 0,
      view.themeKey,
      this.grouped,
      ...traces.map((t) => `${t.id}:${t.color}:${t.sorted}`),
    ].join("|");
    const data = [null];
    for (const t of traces) {
      if (smoothing > 0) data.push([t.x, t.y]);
      data.push([t.x, t.smoothed]);
    }

    const drawable = traces.some((t) => t.smoothed.some((v) => v != null));
    this.status.textContent = drawable ? "" : logY && traces.length ? "no positive values to draw on a log scale" : "no data for the selected runs";
    if (!drawable) {
      this.destroyPlot();
      this.layout = "";
    } else if (this.uplot && layout === this.layout) {
      const u = this.uplot;
      u.batch(() => {
        u.setData(data, false);
        this.setRanges(u);
      });
    } else {
      this.build(data, layout);
    }
    this.drawn = true;
    this.draws += 1;
  }

  // Which lines the highlighted runs are on (a group's line when one of its runs is);
  // false when that is what it was already.
  updateHighlight() {
    const ids = highlightedRuns();
    const lit = [];
    for (const t of this.traces) {
      t.highlighted = Boolean(ids) && t.runs.some((run) => ids.has(run.id));
      if (t.highlighted) lit.push(t.id);
    }
    for (const t of this.traces) t.alpha = !lit.length || t.highlighted ? 1 : DIM_ALPHA;
    this.legendItems?.forEach((item, i) => {
      item.classList.toggle("dim", this.traces[i].alpha < 1);
      item.classList.toggle("highlighted", this.traces[i].highlighted);
    });
    const key = lit.join("\u0000");
    const changed = key !== this.highlightKey;
    this.highlightKey = key;
    return changed;
  }

  // Composed over the last paint, not repainted (see `PaintLayers`).
  applyHighlight() {
    if (!this.updateHighlight() || !this.uplot) return;
    this.paint.compose(this.uplot, this.traces, this.theme);
  }

  build(data, layout) {
    const { smoothing, logY, xMode } = this.view;
    this.destroyPlot();
    this.layout = layout;
    const colors = themeColors();
    this.theme = colors;
    const facets = (sorted) => [
      { scale: "x", auto: true, sorted: sorted ? 1 : 0 },
      { scale: "y", auto: true },
    ];
    const series = [{}];
    // A group's mean stands for several runs: a bolder line than a run's.
    const width = this.grouped ? 2.25 : smoothing > 0 ? 2 : 1.5;
    for (const t of this.traces) {
      if (smoothing > 0) {
        series.push({
          label: t.name,
          stroke: withAlpha(t.color, 0.28),
          width: 1,
          paths: linearPaths,
          points: { show: false },
          facets: facets(t.sorted),
        });
      }
      series.push({
        label: t.name,
        stroke: t.color,
        width,
        paths: linearPaths,
        points: { show: false },
        facets: facets(t.sorted),
      });
    }
    const formatX = xFormatter(xMode);
    const axis = {
      stroke: colors.muted,
      font: colors.font,
      grid: { stroke: colors.grid, width: 1 },
      ticks: { stroke: colors.grid, width: 1, size: 4 },
    };
    const opts = {
      mode: 2,
      width: Math.max(160, this.plot.clientWidth),
      height: this.height(),
      legend: { show: false },
      padding: [8, 12, 0, 0],
      cursor: {
        drag: {
          x: true,
          y: false,
          setScale: false,
          dist: 4,
          uni: null,
          click: (u, event) => event.stopPropagation(),
        },
        points: { show: false },
        bind: { dblclick: () => null },
      },
      scales: {
        x: { time: xMode === "time", auto: true, range: () => this.xRange() },
        y: { distr: logY ? 3 : 1, auto: true, range: () => this.yRange() },
      },
      axes: [
        {
          ...axis,
          space: xMode === "time" ? 90 : 70,
          size: 24,
          label: xAxisLabel(xMode),
          labelSize: 16,
          labelFont: colors.font,
          labelGap: 0,
          incrs: xMode === "step" ? INTEGER_INCREMENTS : undefined,
          // uPlot's own wall-time labels put the date on a second line under the first
          // tick, centred on it: at the axis' left end it was cut off.
          values: xMode === "time"
            ? (u, splits, axisIdx, space, step) => formatWallTicks(splits, step)
            : (u, splits) => splits.map((v) => (xMode === "relative" ? formatDuration(v) : formatTick(v))),
        },
        { ...axis, size: axisSize, values: (u, splits) => splits.map(formatTick) },
      ],
      series,
      hooks: {
        drawAxes: [
          (u) => {
            this.paint.keepUnder(u);
            drawBands(u, this.traces, this.theme.bandAlpha);
          },
        ],
        draw: [
          (u) => {
            drawLonePoints(u, this.traces);
            // Copied when a highlight first needs it: a copy makes the browser
            // rasterise a thousand lines at once, in the middle of the page's load.
            this.paint.painted();
            if (this.traces.some((t) => t.highlighted)) this.paint.compose(u, this.traces, this.theme);
          },
        ],
        setSelect: [(u) => this.onSelect(u)],
        setCursor: [(u) => this.onCursor(u, formatX)],
      },
    };
    // Built, sized and scaled in one batch: uPlot draws once, now, rather than once
    // here and again on a microtask it queued (a sweep's chart draws 1,000 lines).
    this.uplot = new uPlot(opts, data, (u, init) => {
      this.plot.appendChild(u.root);
      u.batch(() => {
        init();
        this.setRanges(u);
      });
    });
    this.builds += 1;
    const over = this.uplot.over;
    over.addEventListener("dblclick", () => {
      clearTimeout(this.clickTimer);
      this.resetZoom();
    });
    over.addEventListener("mouseenter", () => {
      this.hovering = true;
    });
    over.addEventListener("mouseleave", () => {
      this.hovering = false;
      this.nearest = null;
      hideTooltip();
      hoverRuns(null);
    });
    over.addEventListener("mousedown", (event) => {
      this.pressedAt = event.button === 0 ? [event.clientX, event.clientY] : null;
    });
    over.addEventListener("mouseup", (event) => {
      const start = this.pressedAt;
      this.pressedAt = null;
      if (!start || Math.hypot(event.clientX - start[0], event.clientY - start[1]) >= CLICK_PX) return;
      // A double-click resets the zoom: neither of its clicks picks a run.
      clearTimeout(this.clickTimer);
      if (event.detail > 1) return;
      const target = this.nearest;
      this.clickTimer = setTimeout(() => this.onClick(target), DOUBLE_CLICK_MS);
    });
  }




  onSelect(u) {
    const { left, width } = u.select;
    if (width < 4) return;
    const min = u.posToVal(left, "x");
    const max = u.posToVal(left + width, "x");
    u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
    this.zoomTo(min, max);
  }

  zoomTo(min, max) {
    if (!(max > min)) return;
    this.zoom = [min, max];
    this.resetButton.hidden = false;
    this.applyRanges();
    this.onChange(this);
  }

  resetZoom() {
    this.zoom = null;
    this.resetButton.hidden = true;
    this.applyRanges();
    this.onChange(this);
  }

  applyRanges() {
    const u = this.uplot;
    if (u) u.batch(() => this.setRanges(u));
  }

  setRanges(u) {
    const [xMin, xMax] = this.xRange();
    const [yMin, yMax] = this.yRange();
    u.setScale("x", { min: xMin, max: xMax });
    u.setScale("y", { min: yMin, max: yMax });
  }

  xRange() {
    if (this.zoom) return this.zoom;
    let lo = Infinity;
    let hi = -Infinity;
    for (const t of this.traces) {
      if (t.first < lo) lo = t.first;
      if (t.last > hi) hi = t.last;
    }
    if (!(hi >= lo)) return [0, 1];
    // Wall times are about 1.7e9 s: padding by a share of that spans decades, and a run
    // of a second or two is no flat line.
    if (this.view.xMode === "time") return hi - lo >= 1e-3 ? [lo, hi] : [lo - 30, hi + 30];
    return padFlat(lo, hi, 1);
  }

  yRange() {
    const [xMin, xMax] = this.zoom || [-Infinity, Infinity];
    let lo = Infinity;
    let hi = -Infinity;
    for (const t of this.traces) {
      const arrays = t.smoothed === t.y ? [t.y] : [t.y, t.smoothed];
      if (t.band) arrays.push(t.band.lo, t.band.hi);
      const whole = !this.zoom;
      for (const arr of arrays) {
        for (let i = 0; i < arr.length; i++) {
          const v = arr[i];
          if (v == null || (!whole && (t.x[i] < xMin || t.x[i] > xMax))) continue;
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
      }
    }
    if (!(hi >= lo)) return this.view.logY ? [1, 10] : [0, 1];
    if (this.view.logY) {
      const low = 10 ** Math.floor(Math.log10(lo));
      const high = 10 ** Math.ceil(Math.log10(hi));
      return high > low ? [low, high] : [low, low * 10];
    }
    const [a, b] = padFlat(lo, hi, 1);
    const pad = (b - a) * 0.05;
    return [a - pad, b + pad];
  }

  onCursor(u, formatX) {
    const { left, top } = u.cursor;
    if (left == null || left < 0 || !this.traces.length) {
      hideTooltip();
      return;
    }
    const xValue = u.posToVal(left, "x");
    const tolerance = Math.abs(u.posToVal(left + 6, "x") - xValue);
    const { smoothing } = this.view;
    const rows = [];
    let snapped = null;
    let nearest = null;
    let nearestDistance = NEAREST_PX;
    for (const t of this.traces) {
      if (xValue < t.first - tolerance || xValue > t.last + tolerance) continue;
      const i = nearestIndex(t.x, xValue, t.sorted);
      if (i < 0) continue;
      if (snapped == null || Math.abs(t.x[i] - xValue) < Math.abs(snapped - xValue)) snapped = t.x[i];
      const row = { name: t.name, color: t.color, value: t.smoothed[i], trace: t };
      if (t.group !== undefined) {
        // A group's row: its mean, then the range its runs span there.
        row.name = `${t.name} (${t.runs.length})`;
        if (t.band && t.band.lo[i] != null) row.raw = `${formatNumber(t.band.lo[i])} … ${formatNumber(t.band.hi[i])}`;
      } else if (smoothing > 0) {
        row.raw = t.y[i];
      }
      rows.push(row);
      if (row.value != null && Number.isFinite(row.value)) {
        const distance = Math.abs(u.valToPos(row.value, "y") - top);
        if (distance < nearestDistance) {
          nearestDistance = distance;
          nearest = row;
        }
      }
    }
    rows.sort((a, b) => (b.value ?? -Infinity) - (a.value ?? -Infinity));
    if (nearest) nearest.nearest = true;
    this.nearest = nearest?.trace ?? null;
    // Only the pointer's own chart: another chart's cursor moves when it is repainted.
    if (this.hovering) hoverRuns(this.nearest ? this.nearest.runs.map((run) => run.id) : null);
    const rect = u.over.getBoundingClientRect();
    const label = this.view.xMode === "step" ? "step" : this.view.xMode === "time" ? "" : this.view.xMode;
    const xAt = snapped ?? xValue;
    const xText = formatX(this.view.xMode === "step" ? Math.round(xAt) : xAt);
    showTooltip({
      title: label ? `${label} ${xText}` : xText,
      unit: this.unit,
      rows,
      clientX: rect.left + left,
      clientY: rect.top + top,
    });
  }

  // A click on a line selects its run in the runs list (its group's row when grouped);
  // a click away from every line lets go of the highlighted run.
  onClick(t) {
    if (!t) pinRun(null);
    else if (t.group !== undefined) focusGroup(t.group);
    else pinRun(t.run);
  }

  resize() {
    if (!this.uplot) return;
    const width = Math.max(160, this.plot.clientWidth);
    const height = this.height();
    if (width !== this.uplot.width || height !== this.uplot.height) this.uplot.setSize({ width, height });
  }

  destroyPlot() {
    if (this.uplot) {
      this.uplot.destroy();
      this.uplot = null;
    }
  }

  destroy() {
    untrackChart(this);
    if (this.onKey) document.removeEventListener("keydown", this.onKey);
    this.destroyPlot();
    this.root.remove();
  }
}
