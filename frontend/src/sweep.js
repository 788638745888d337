import "./sweep.css";
import { withAlpha } from "./colors.js";
import { clear, el } from "./dom.js";
import { formatTick } from "./format.js";
import { rampColor, rampGradient } from "./canvas.js";
import { ParallelCoordinates } from "./parcoords.js";
import { ScatterPlot } from "./scatter.js";
import { scanAxes } from "./sweepaxes.js";
import { filteredRuns, setSelected, state, writeUrl } from "./state.js";
import { SYSTEM_PREFIX } from "./system.js";
import { publishSweep } from "./testhooks.js";

// A sweep of a dozen hyperparameters would crowd the plot: the rest are a tick away.
const MAX_DEFAULT_AXES = 8;
// Past this many values a string key is more a label (a path, a name) than a choice.
const MAX_DEFAULT_CATEGORIES = 30;
const DARK = window.matchMedia("(prefers-color-scheme: dark)");
const MISSING_COLOR = "#868e96";

const sameList = (a, b) => a.length === b.length && a.every((item, i) => item === b[i]);

/** The Sweep view: parallel coordinates of the runs' config and summary metrics over a
 * scatter of any two of them. Brushing the axes, or drawing a rectangle on the
 * scatter, selects the runs in range everywhere in the page; the axes, brushes, colour
 * and scatter axes live in the URL (`parcoords=`, `parcolor=`, `scatter=`). */
export class SweepView {
  constructor() {
    this.axes = new Map();
    this.runs = [];
    this.preview = null;
    this.rect = null;
    this.rectIds = null;
    this.linkPending = true;
    this.draws = 0;
    this.parcoords = new ParallelCoordinates({
      onBrush: (id, brush, final) => this.onBrush(id, brush, final),
      onCancel: () => {
        this.preview = null;
        this.draw();
      },
      onRemoveAxis: (id) => this.toggleAxis(id, false),
    });
    this.scatter = new ScatterPlot({
      onRect: (rect) => this.onRect(rect),
      onClear: () => this.clearRect(),
    });

    this.axisList = el("div", { class: "sweep-axis-list", "data-testid": "sweep-axis-list" });
    this.axisList.addEventListener("change", (event) => {
      const id = event.target.dataset.axis;
      if (id) this.toggleAxis(id, event.target.checked);
    });
    this.axisCount = el("span", { class: "sweep-axis-count" });
    this.axisPicker = el(
      "details",
      { class: "sweep-axes" },
      el("summary", { "data-testid": "sweep-axes" }, "Axes ", this.axisCount),
      this.axisList,
    );
    document.addEventListener("click", (event) => {
      if (this.axisPicker.open && !this.axisPicker.contains(event.target)) this.axisPicker.open = false;
    });
    this.colorSelect = el("select", {
      class: "sweep-select",
      "aria-label": "Colour lines by",
      "data-testid": "sweep-color",
      onchange: () => this.setColor(this.colorSelect.value),
    });
    this.colorLow = el("span", { class: "sweep-legend-value" });
    this.colorHigh = el("span", { class: "sweep-legend-value" });
    this.legend = el(
      "span",
      { class: "sweep-legend", "data-testid": "sweep-legend" },
      this.colorLow,
      el("span", { class: "sweep-ramp", style: { background: rampGradient() } }),
      this.colorHigh,
    );
    this.colorControl = el(
      "label",
      { class: "control" },
      el("span", { text: "Colour" }),
      this.colorSelect,
      this.legend,
    );
    this.clearButton = el("button", {
      type: "button",
      text: "Clear brushes",
      title: "Remove every brush and show all runs the filter matches",
      "data-testid": "sweep-clear",
      onclick: () => this.clearBrushes(),
    });
    this.info = el("span", { class: "sweep-info", "data-testid": "sweep-info" });
    const parcoordsPanel = el(
      "section",
      { class: "sweep-panel", "aria-label": "Parallel coordinates" },
      el(
        "div",
        { class: "sweep-head" },
        el("h2", { class: "sweep-title", text: "Parallel coordinates" }),
        this.axisPicker,
        this.colorControl,
        this.clearButton,
      ),
      this.info,
      this.parcoords.root,
    );

    const axisSelect = (label, testid) =>
      el("select", {
        class: "sweep-select",
        "aria-label": label,
        "data-testid": testid,
        onchange: () => this.setScatterAxes(),
      });
    this.xSelect = axisSelect("Scatter x axis", "scatter-x");
    this.ySelect = axisSelect("Scatter y axis", "scatter-y");
    this.scatterInfo = el("span", { class: "sweep-info", "data-testid": "scatter-info" });
    const scatterPanel = el(
      "section",
      { class: "sweep-panel", "aria-label": "Scatter plot" },
      el(
        "div",
        { class: "sweep-head" },
        el("h2", { class: "sweep-title", text: "Scatter" }),
        el("label", { class: "control" }, el("span", { text: "x" }), this.xSelect),
        el("label", { class: "control" }, el("span", { text: "y" }), this.ySelect),
      ),
      this.scatterInfo,
      this.scatter.root,
    );
    this.message = el("p", { class: "empty sweep-empty", hidden: true, "data-testid": "sweep-empty" });
    this.panels = [parcoordsPanel, scatterPanel];
    this.root = el(
      "div",
      { class: "sweep-view", "data-testid": "sweep-view", hidden: true },
      this.message,
      ...this.panels,
    );

    let frame = 0;
    const redraw = () => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => this.draw());
    };
    new ResizeObserver(redraw).observe(this.root);
    DARK.addEventListener("change", redraw);
  }

  /** On a project's first load: a link's brushes select their runs, unless it also
   * names its runs (`runs=`), the selection its author saw. */
  applyLink() {
    if (!this.linkPending) return;
    this.linkPending = false;
    if (state.requestedRuns || !state.parcoords?.some((entry) => entry.lo != null)) return;
    this.axes = scanAxes(state.runs);
    const brushes = this.brushes();
    if (brushes.size) this.applySelection(brushes);
  }

  resolve(ref) {
    if (!ref) return null;
    if (!ref.summary && this.axes.has(`config:${ref.name}`)) return `config:${ref.name}`;
    return this.axes.has(`summary:${ref.name}`) ? `summary:${ref.name}` : null;
  }

  refOf(id) {
    const axis = this.axes.get(id);
    return { name: axis.name, summary: axis.kind === "summary" && this.axes.has(`config:${axis.name}`) };
  }

  defaultIds() {
    const all = [...this.axes.values()];
    const config = all.filter(
      (axis) => axis.kind === "config" && axis.varies
        && (axis.type === "numeric" || axis.categories.length <= MAX_DEFAULT_CATEGORIES),
    );
    const summary = all.filter((axis) => axis.kind === "summary" && !axis.name.startsWith(SYSTEM_PREFIX));
    const room = MAX_DEFAULT_AXES - Math.min(summary.length, 2);
    const ids = [...config.slice(0, room), ...summary].slice(0, MAX_DEFAULT_AXES).map((axis) => axis.id);
    return ids.length ? ids : all.slice(0, MAX_DEFAULT_AXES).map((axis) => axis.id);
  }

  axisIds() {
    if (!state.parcoords) return this.defaultIds();
    const ids = [];
    for (const entry of state.parcoords) {
      const id = this.resolve(entry);
      if (id && !ids.includes(id)) ids.push(id);
    }
    return ids;
  }

  brushes() {
    const brushes = new Map();
    for (const entry of state.parcoords || []) {
      if (entry.lo == null || entry.hi == null) continue;
      const id = this.resolve(entry);
      if (!id || brushes.has(id)) continue;
      const brush = this.axes.get(id).parseBrush(entry.lo, entry.hi);
      if (brush) brushes.set(id, brush);
    }
    return brushes;
  }

  // The brushes drawn: those committed, with the one being dragged.
  activeBrushes() {
    const brushes = this.brushes();
    if (this.preview) {
      if (this.preview.brush) brushes.set(this.preview.id, this.preview.brush);
      else brushes.delete(this.preview.id);
    }
    return brushes;
  }

  passes(run, brushes) {
    for (const [id, brush] of brushes) {
      const axis = this.axes.get(id);
      if (!axis.passes(brush, axis.value(run))) return false;
    }
    return true;
  }

  save(ids, brushes) {
    const entries = ids.map((id) => ({ ...this.refOf(id), ...(brushes.get(id) || {}) }));
    state.parcoords = !brushes.size && sameList(ids, this.defaultIds()) ? null : entries;
  }

  defaultColorAxis() {
    const summaries = [...this.axes.values()].filter((axis) => axis.kind === "summary");
    return summaries.find((axis) => !axis.name.startsWith(SYSTEM_PREFIX)) || summaries[0] || null;
  }

  colorAxis() {
    const chosen = state.parcolor != null ? this.axes.get(`summary:${state.parcolor}`) : null;
    return chosen || this.defaultColorAxis();
  }

  scatterIds() {
    const ids = [...this.axes.keys()];
    const wanted = (state.scatter || []).map((ref) => this.resolve(ref));
    const defaults = this.defaultIds();
    const color = this.colorAxis()?.id;
    const x = wanted[0] || defaults.find((id) => id.startsWith("config:")) || ids[0] || null;
    const y = wanted[1] || (color && color !== x ? color : ids.find((id) => id !== x)) || x;
    return [x, y];
  }

  onBrush(id, brush, final) {
    if (!final) {
      this.preview = { id, brush };
      this.draw();
      return;
    }
    this.preview = null;
    const brushes = this.brushes();
    if (!brush && !brushes.has(id)) {
      this.draw();
      return;
    }
    if (brush) brushes.set(id, brush);
    else brushes.delete(id);
    this.save(this.axisIds(), brushes);
    this.rect = null;
    this.applySelection(brushes);
  }

  /** Select the runs the filter matches that pass `brushes` (and are in `among`, if
   * given; all of them without either), and deselect the others it matches. Returns
   * the ids selected. */
  applySelection(brushes, among = null) {
    const runs = filteredRuns();
    const keep = new Set(
      runs.filter((run) => this.passes(run, brushes) && (!among || among.has(run.id))).map((run) => run.id),
    );
    if (among) this.rectIds = keep;
    // Only the runs that change: each call redraws the runs list and the view.
    const drop = runs.filter((run) => !keep.has(run.id) && state.selected.has(run.id)).map((run) => run.id);
    const add = [...keep].filter((id) => !state.selected.has(id));
    if (!drop.length && !add.length) {
      writeUrl();
      this.render();
      return keep;
    }
    // The view draws once, after the last step.
    this.selecting = add.length > 0;
    try {
      if (drop.length) setSelected(drop, false);
    } finally {
      this.selecting = false;
    }
    if (add.length) setSelected(add, true);
    return keep;
  }

  clearBrushes() {
    this.save(this.axisIds(), new Map());
    this.rect = null;
    this.applySelection(new Map());
  }

  toggleAxis(id, on) {
    let ids = this.axisIds();
    const brushes = this.brushes();
    if (on && !ids.includes(id)) ids.push(id);
    if (!on) ids = ids.filter((other) => other !== id);
    const hadBrush = !on && brushes.delete(id);
    this.save(ids, brushes);
    if (hadBrush) this.applySelection(brushes);
    else {
      writeUrl();
      this.render();
    }
  }

  setColor(name) {
    state.parcolor = name === this.defaultColorAxis()?.name ? null : name;
    writeUrl();
    this.draw();
  }

  setScatterAxes() {
    const x = this.xSelect.value;
    const y = this.ySelect.value;
    if (!this.axes.has(x) || !this.axes.has(y)) return;
    state.scatter = [this.refOf(x), this.refOf(y)];
    this.rect = null;
    writeUrl();
    this.draw();
  }

  onRect(rect) {
    const inside = new Set(this.scatter.runsInside(rect).map((run) => run.id));
    this.rect = rect;
    this.applySelection(this.brushes(), inside);
  }

  clearRect() {
    this.rect = null;
    this.applySelection(this.brushes());
  }

  render() {
    if (this.selecting) return;
    this.axes = scanAxes(state.runs);
    this.runs = filteredRuns();
    if (this.rect && this.rectIds) {
      const selected = this.runs.filter((run) => state.selected.has(run.id));
      if (selected.length !== this.rectIds.size || selected.some((run) => !this.rectIds.has(run.id))) this.rect = null;
    }
    this.renderControls();
    this.draw();
  }

  renderControls() {
    const ids = this.axisIds();
    const all = [...this.axes.values()];
    const clash = (axis) => axis.kind === "summary" && this.axes.has(`config:${axis.name}`);
    const label = (axis) => (clash(axis) ? `${axis.name} (summary)` : axis.name);
    const signature = [...all.map((axis) => axis.id), "", ...ids].join("\u0000");
    if (signature !== this.axisSignature) {
      this.axisSignature = signature;
      clear(this.axisList);
      for (const [kind, title] of [["config", "Config"], ["summary", "Summary metrics"]]) {
        const members = all.filter((axis) => axis.kind === kind);
        if (!members.length) continue;
        this.axisList.append(el("div", { class: "sweep-axis-group", text: title }));
        for (const axis of members) {
          this.axisList.append(
            el(
              "label",
              { class: "sweep-axis-option", title: `${axis.kind}: ${axis.name}` },
              el("input", {
                type: "checkbox",
                checked: ids.includes(axis.id),
                dataset: { axis: axis.id },
                "aria-label": `${axis.kind} ${axis.name}`,
              }),
              el("span", { class: "sweep-axis-name", text: axis.name }),
            ),
          );
        }
      }
      this.axisCount.textContent = `${ids.length} of ${all.length}`;
      const options = (select) => {
        clear(select);
        for (const axis of all) select.append(el("option", { value: axis.id, text: label(axis) }));
      };
      options(this.xSelect);
      options(this.ySelect);
      clear(this.colorSelect);
      for (const axis of all.filter((a) => a.kind === "summary")) {
        this.colorSelect.append(el("option", { value: axis.name, text: axis.name }));
      }
    }
    const color = this.colorAxis();
    this.colorControl.hidden = !color;
    if (color) this.colorSelect.value = color.name;
    const [x, y] = this.scatterIds();
    if (x) this.xSelect.value = x;
    if (y) this.ySelect.value = y;
  }

  draw() {
    if (this.root.hidden || !this.root.isConnected) return;
    const ids = this.axisIds();
    const axes = ids.map((id) => this.axes.get(id));
    const committed = this.brushes();
    const brushes = this.activeBrushes();
    const runs = this.runs;
    const empty = !runs.length || !this.axes.size;
    this.message.hidden = !empty;
    for (const panel of this.panels) panel.hidden = empty;
    if (empty) {
      this.message.textContent = !state.runs.length
        ? "No runs yet."
        : !runs.length
          ? "No run matches the filter."
          : "No config values or numeric summary metrics to compare yet: start runs with "
            + "trackio.init(config=...) and log metrics.";
      this.publish(axes, committed, { drawn: 0, strong: 0, faint: 0 });
      return;
    }

    const colorAxis = this.colorAxis();
    const colorOf = (run, alpha) => {
      if (!colorAxis) return withAlpha(run.color, alpha);
      const t = colorAxis.position(colorAxis.value(run));
      return Number.isFinite(t) ? rampColor(t, alpha) : withAlpha(MISSING_COLOR, alpha);
    };
    if (colorAxis) {
      this.colorLow.textContent = formatTick(colorAxis.valueAt(0));
      this.colorHigh.textContent = formatTick(colorAxis.valueAt(1));
    }
    const previewing = Boolean(this.preview);
    const isStrong = previewing ? (run) => this.passes(run, brushes) : (run) => state.selected.has(run.id);
    this.parcoords.setData({ axes, runs, brushes, colorOf, isStrong });
    this.parcoords.root.hidden = !axes.length;
    this.parcoords.draw();
    const counts = this.parcoords.counts || { drawn: 0, strong: 0, faint: 0 };

    const passing = brushes.size ? runs.filter((run) => this.passes(run, brushes)).length : runs.length;
    if (!axes.length) this.info.textContent = "No axes: choose some under Axes.";
    else if (brushes.size) {
      this.info.textContent = `${passing} of ${runs.length} runs in range · click an axis to clear its brush`;
    } else this.info.textContent = `${runs.length} runs · drag along an axis to filter`;
    this.clearButton.disabled = !committed.size;
    this.axisCount.textContent = `${ids.length} of ${this.axes.size}`;

    const [x, y] = this.scatterIds();
    this.scatter.setData({ x: this.axes.get(x), y: this.axes.get(y), runs, isStrong, rect: this.rect });
    this.scatter.draw();
    this.scatterInfo.textContent =
      `${this.scatter.count} runs with both values · drag a rectangle to select, double-click to clear`;
    this.publish(axes, committed, counts);
  }

  publish(axes, brushes, lines) {
    this.draws += 1;
    const [x, y] = this.scatterIds();
    publishSweep({
      axes: axes.map((axis) => ({
        id: axis.id,
        name: axis.name,
        kind: axis.kind,
        type: axis.type,
        log: axis.log,
        ticks: this.parcoords.drawnTicks?.[axis.id] ?? [],
      })),
      brushes: Object.fromEntries([...brushes].map(([id, brush]) => [id, [brush.lo, brush.hi]])),
      passing: this.runs
        .filter((run) => this.passes(run, brushes))
        .map((run) => run.name)
        .sort(),
      lines,
      color: this.colorAxis()?.id ?? null,
      scatter: { x, y, dots: this.scatter.count ?? 0, rect: Boolean(this.rect) },
      draws: this.draws,
      point: (axisId, value) => this.parcoords.clientPoint(axisId, value),
      scatterPoint: (xValue, yValue) => this.scatter.clientPoint(xValue, yValue),
    });
  }
}
