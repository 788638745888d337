import { el, textMatcher } from "./dom.js";
import { fetchMedia, resolveUrl } from "./api.js";
import { formatNumber } from "./format.js";
import { lightbox } from "./lightbox.js";
import { MediaTable } from "./mediatable.js";
import { binAt, drawHeatmap, drawOverlay, drawRidgeline, validHistogram } from "./histogram.js";
import { selectedRuns, state } from "./state.js";
import { publishMedia } from "./testhooks.js";

const RUN_CHUNK = 40;
const EAGER_BLOCKS = 12;
const LIVE_INTERVAL_MS = 3000;

function lastItemId(items) {
  let last = 0;
  for (const item of items || []) if (Number.isFinite(item.id) && item.id > last) last = item.id;
  return last;
}

function byKeyAndStep(a, b) {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : a.step - b.step;
}
const SECTIONS = [
  ["visual", "Images, video and audio"],
  ["table", "Tables"],
  ["histogram", "Histograms"],
];

function categoryOf(kind) {
  if (kind === "table" || kind === "histogram") return kind;
  return "visual";
}

function compareKeys(a, b) {
  return a.localeCompare(b, undefined, { numeric: true });
}

function sortedUnique(values) {
  return [...new Set(values)].sort((a, b) => a - b);
}

// The index of the largest value <= target in a sorted array, or -1.
function floorIndex(sorted, target) {
  let lo = 0;
  let hi = sorted.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= target) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

// Items of one key for one run, by step.
function indexByRun(items) {
  const byRun = new Map();
  for (const item of items) {
    let entry = byRun.get(item.run);
    if (!entry) {
      entry = { byStep: new Map(), steps: [] };
      byRun.set(item.run, entry);
    }
    if (!entry.byStep.has(item.step)) {
      entry.byStep.set(item.step, []);
      entry.steps.push(item.step);
    }
    entry.byStep.get(item.step).push(item);
  }
  for (const entry of byRun.values()) entry.steps.sort((a, b) => a - b);
  return byRun;
}

function runHead(run, extra) {
  return el(
    "div",
    { class: "media-cell-head" },
    el("span", { class: "swatch", style: { background: run.color } }),
    el("span", { class: "media-run-name", text: run.name, title: run.name }),
    extra,
  );
}

// A step slider shared by the key blocks: one position per step any shown run logged at this key.
class StepSlider {
  constructor(onChange) {
    this.steps = [];
    this.follow = true;
    this.step = null;
    this.onChange = onChange;
    this.input = el("input", {
      type: "range",
      min: "0",
      max: "0",
      step: "1",
      value: "0",
      class: "media-step",
      "aria-label": "Step",
      "data-testid": "media-step",
    });
    this.output = el("output", { class: "media-step-value" });
    this.prev = el("button", { type: "button", class: "step-button", text: "‹", "aria-label": "Previous step", onclick: () => this.move(-1) });
    this.next = el("button", { type: "button", class: "step-button", text: "›", "aria-label": "Next step", onclick: () => this.move(1) });
    this.root = el("div", { class: "media-step-control" }, this.prev, this.input, this.next, this.output);
    this.input.addEventListener("input", () => this.pick(Number(this.input.value)));
  }

  move(delta) {
    this.pick(Math.min(Math.max(Number(this.input.value) + delta, 0), this.steps.length - 1));
  }

  pick(index) {
    if (!this.steps.length || !Number.isFinite(index)) return;
    this.step = this.steps[index];
    this.follow = index === this.steps.length - 1;
    this.show(index);
    this.onChange(this.step);
  }

  // New steps from the data: stay on the latest when following it, else on the chosen step.
  setSteps(steps) {
    this.steps = steps;
    if (!steps.length) {
      this.step = null;
      this.show(0);
      return null;
    }
    let index = steps.length - 1;
    if (!this.follow && this.step != null) index = Math.max(0, floorIndex(steps, this.step));
    this.step = steps[index];
    this.show(index);
    return this.step;
  }

  show(index) {
    const n = this.steps.length;
    this.input.max = String(Math.max(0, n - 1));
    this.input.value = String(index);
    this.input.disabled = n <= 1;
    this.input.hidden = this.prev.hidden = this.next.hidden = n <= 1;
    this.prev.disabled = index <= 0;
    this.next.disabled = index >= n - 1;
    const text = this.step == null ? "" : `step ${formatNumber(this.step)}`;
    this.output.textContent = n > 1 ? `${text} (${index + 1}/${n})` : text;
    this.input.setAttribute("aria-valuetext", text);
    this.root.hidden = n === 0;
  }
}

// Images, video and audio logged at one key: a column per run, a slider over steps.
class VisualBlock {
  constructor(key, view) {
    this.key = key;
    this.view = view;
    this.cells = new Map();
    this.byRun = new Map();
    this.runs = [];
    this.slider = new StepSlider(() => this.renderCells());
    this.grid = el("div", { class: "media-grid" });
    this.root = el(
      "section",
      { class: "media-block", "data-testid": "media-key", dataset: { key } },
      el("div", { class: "media-block-head" }, el("h3", { class: "media-key-title", text: key, title: key }), this.slider.root),
      this.grid,
    );
  }

  update(runs, items) {
    this.runs = runs;
    this.byRun = indexByRun(items);
    this.slider.setSteps(sortedUnique(items.map((item) => item.step)));
    this.renderCells();
  }

  renderCells() {
    const step = this.slider.step;
    this.root.dataset.step = step == null ? "" : String(step);
    const roots = [];
    for (const run of this.runs) {
      let cell = this.cells.get(run.id);
      if (!cell) {
        const stepLabel = el("span", { class: "media-cell-step" });
        const body = el("div", { class: "media-cell-body" });
        cell = {
          stepLabel,
          body,
          signature: null,
          root: el("div", { class: "media-cell", "data-testid": "media-cell", dataset: { runId: run.id } }, runHead(run, stepLabel), body),
        };
        this.cells.set(run.id, cell);
      }
      this.fillCell(cell, run, step);
      roots.push(cell.root);
    }
    this.grid.replaceChildren(...roots);
    this.grid.style.setProperty("--columns", String(Math.max(1, roots.length)));
    this.view.publish();
  }

  shownStep(runId, step) {
    const entry = this.byRun.get(runId);
    if (!entry || step == null) return null;
    const index = floorIndex(entry.steps, step);
    return index < 0 ? null : entry.steps[index];
  }

  fillCell(cell, run, step) {
    const shown = this.shownStep(run.id, step);
    const items = shown == null ? [] : this.byRun.get(run.id).byStep.get(shown);
    const signature = `${shown}|${items.map((item) => item.url).join("|")}`;
    cell.stepLabel.textContent = shown != null && shown !== step ? `step ${formatNumber(shown)}` : "";
    cell.root.dataset.step = shown == null ? "" : String(shown);
    if (signature === cell.signature) return;
    cell.signature = signature;
    if (!items.length) {
      const text = this.byRun.has(run.id) ? "Nothing logged at or before this step." : "Nothing logged at this key.";
      cell.body.replaceChildren(el("p", { class: "media-none", text }));
      return;
    }
    cell.body.classList.toggle("several", items.length > 1);
    cell.body.replaceChildren(...items.map((item) => this.renderItem(item, run)));
  }

  lightboxEntry(item, run) {
    const caption = typeof item.caption === "string" ? item.caption : null;
    return {
      url: resolveUrl(item.url),
      kind: item.kind === "video" ? "video" : "image",
      caption,
      title: `${run.name} · ${this.key} · step ${formatNumber(item.step)}`,
      pixelated: isTiny(item),
      width: item.meta?.width,
      height: item.meta?.height,
    };
  }

  openLightbox(item, run) {
    const entry = this.byRun.get(run.id);
    const flat = [];
    for (const step of entry.steps) {
      for (const other of entry.byStep.get(step)) if (other.kind === "image" || isGif(other)) flat.push(other);
    }
    let at = flat.indexOf(item);
    lightbox().show(this.lightboxEntry(item, run), (delta) => {
      const next = at + delta;
      if (at < 0 || next < 0 || next >= flat.length) return null;
      at = next;
      return this.lightboxEntry(flat[at], run);
    });
  }

  renderItem(item, run) {
    const url = resolveUrl(item.url);
    const caption = typeof item.caption === "string" && item.caption ? item.caption : null;
    const figure = el("figure", { class: `media-item ${item.kind}` });
    if (!url) {
      figure.append(el("p", { class: "media-none", text: "File missing." }));
    } else if (item.kind === "audio") {
      figure.append(el("audio", { src: url, controls: true, preload: "metadata", class: "media-audio" }));
    } else if (item.kind === "video" && !isGif(item)) {
      figure.append(
        el("video", {
          src: url,
          controls: true,
          preload: "metadata",
          playsInline: true,
          muted: true,
          loop: true,
          class: "media-video",
          "data-testid": "media-video",
        }),
      );
    } else {
      const img = el("img", {
        src: url,
        loading: "lazy",
        decoding: "async",
        alt: caption || `${this.key} step ${item.step}`,
        class: "media-image",
        "data-testid": "media-image",
        tabindex: "0",
        role: "button",
        onclick: () => this.openLightbox(item, run),
        onkeydown: (event) => {
          if (event.key === "Enter" || event.key === " ") {
            event.preventDefault();
            this.openLightbox(item, run);
          }
        },
      });
      const width = Number(item.meta?.width);
      const height = Number(item.meta?.height);
      if (width > 0 && height > 0) {
        img.width = width;
        img.height = height;
      }
      if (isTiny(item)) img.classList.add("pixelated");
      figure.append(img);
    }
    if (caption) figure.append(el("figcaption", { class: "media-caption", "data-testid": "media-caption", text: caption }));
    return figure;
  }

  redraw() {}
}

function isGif(item) {
  return item.kind === "video" && (item.meta?.format === "gif" || /\.gif(&|$)/i.test(item.url || ""));
}

function isTiny(item) {
  const width = Number(item.meta?.width);
  const height = Number(item.meta?.height);
  return width > 0 && height > 0 && width <= 64 && height <= 64;
}

// Logged tables at one key: a slider over steps, one paginated table per run.
class TableBlock {
  constructor(key, view) {
    this.key = key;
    this.view = view;
    this.tables = new Map();
    this.byRun = new Map();
    this.runs = [];
    this.active = false;
    this.slider = new StepSlider(() => this.renderTables());
    this.meta = el("span", { class: "media-block-meta" });
    this.list = el("div", { class: "media-table-list" });
    this.root = el(
      "section",
      { class: "media-block", "data-testid": "media-table", dataset: { key } },
      el(
        "div",
        { class: "media-block-head" },
        el("h3", { class: "media-key-title", text: key, title: key }),
        this.meta,
        this.slider.root,
      ),
      this.list,
    );
  }

  update(runs, items) {
    this.runs = runs;
    this.byRun = indexByRun(items);
    this.slider.setSteps(sortedUnique(items.map((item) => item.step)));
    this.renderTables();
  }

  activate() {
    if (this.active) return;
    this.active = true;
    this.renderTables();
  }

  get loaded() {
    return this.runs.every((run) => !this.byRun.has(run.id) || this.tables.get(run.id)?.loaded);
  }

  renderTables() {
    const step = this.slider.step;
    this.root.dataset.step = step == null ? "" : String(step);
    const roots = [];
    let rows = 0;
    for (const run of this.runs) {
      const entry = this.byRun.get(run.id);
      if (!entry) continue;
      let table = this.tables.get(run.id);
      if (!table) {
        table = new MediaTable({
          project: state.project,
          run,
          key: this.key,
          onLoaded: () => this.view.publish(),
          onPending: (delta) => this.view.addPending(delta),
        });
        this.tables.set(run.id, table);
      }
      const index = step == null ? -1 : floorIndex(entry.steps, step);
      const shown = index < 0 ? null : entry.steps[index];
      if (shown != null) rows = Math.max(rows, Number(entry.byStep.get(shown)[0].meta?.rows) || 0);
      if (this.active) table.setStep(step, shown);
      roots.push(table.root);
    }
    this.meta.textContent = rows ? `${formatNumber(rows)} rows` : "";
    this.list.replaceChildren(...roots);
    this.view.publish();
  }

  redraw() {}
}

// Logged histograms at one key: every shown run's latest step overlaid, then per run a heatmap
// (or ridgeline) over all its steps.
class HistogramBlock {
  constructor(key, view) {
    this.key = key;
    this.view = view;
    this.byRun = new Map();
    this.runs = [];
    this.active = false;
    this.drawn = false;
    this.mode = "heatmap";
    this.modeSelect = el(
      "select",
      {
        class: "histogram-mode",
        "aria-label": "Histogram over steps",
        "data-testid": "histogram-mode",
        onchange: () => {
          this.mode = this.modeSelect.value;
          this.draw();
        },
      },
      el("option", { value: "heatmap", text: "Heatmap" }),
      el("option", { value: "ridgeline", text: "Ridgeline" }),
    );
    this.overlay = el("canvas", { class: "histogram-canvas", "data-testid": "histogram-overlay" });
    this.overlayReadout = el("div", { class: "histogram-readout" });
    this.legend = el("div", { class: "histogram-legend" });
    this.perRun = el("div", { class: "histogram-runs" });
    this.rows = new Map();
    this.root = el(
      "section",
      { class: "media-block", "data-testid": "media-histogram", dataset: { key } },
      el(
        "div",
        { class: "media-block-head" },
        el("h3", { class: "media-key-title", text: key, title: key }),
        el("label", { class: "control" }, el("span", { text: "Over steps" }), this.modeSelect),
      ),
      el(
        "div",
        { class: "histogram-overlay" },
        el("div", { class: "histogram-caption", text: "Latest step of each run" }),
        this.overlay,
        this.overlayReadout,
        this.legend,
      ),
      this.perRun,
    );
    this.overlay.addEventListener("mousemove", (event) => this.hoverOverlay(event));
    this.overlay.addEventListener("mouseleave", () => {
      this.overlayReadout.textContent = "";
    });
  }

  update(runs, items) {
    this.runs = runs;
    this.byRun = new Map();
    for (const item of items) {
      if (!validHistogram(item)) continue;
      if (!this.byRun.has(item.run)) this.byRun.set(item.run, []);
      this.byRun.get(item.run).push(item);
    }
    for (const list of this.byRun.values()) list.sort((a, b) => a.step - b.step);
    const roots = [];
    for (const run of runs) {
      if (!this.byRun.has(run.id)) continue;
      let row = this.rows.get(run.id);
      if (!row) {
        const canvas = el("canvas", { class: "histogram-canvas", "data-testid": "histogram-run", dataset: { runId: run.id } });
        const readout = el("div", { class: "histogram-readout" });
        row = { canvas, readout, root: el("div", { class: "histogram-run" }, runHead(run), canvas, readout), drawing: null };
        canvas.addEventListener("mousemove", (event) => this.hoverRun(row, run, event));
        canvas.addEventListener("mouseleave", () => {
          readout.textContent = "";
        });
        this.rows.set(run.id, row);
      }
      roots.push(row.root);
    }
    this.perRun.replaceChildren(...roots);
    this.legend.replaceChildren(
      ...runs
        .filter((run) => this.byRun.has(run.id))
        .map((run) => {
          const list = this.byRun.get(run.id);
          return el(
            "span",
            { class: "legend-item" },
            el("span", { class: "swatch", style: { background: run.color } }),
            el("span", { class: "media-run-name", text: run.name }),
            el("span", { class: "media-cell-step", text: `step ${formatNumber(list[list.length - 1].step)}` }),
          );
        }),
    );
    if (this.active) this.draw();
  }

  activate() {
    if (this.active) return;
    this.active = true;
    this.draw();
  }

  get loaded() {
    return this.drawn || !this.byRun.size;
  }

  draw() {
    const shown = this.runs.filter((run) => this.byRun.has(run.id));
    if (!shown.length || !this.root.isConnected || this.view.root.hidden) return;
    const series = shown.map((run) => {
      const list = this.byRun.get(run.id);
      return { run, color: run.color, item: list[list.length - 1] };
    });
    this.overlayDrawing = { ...drawOverlay(this.overlay, series), series };
    for (const run of shown) {
      const row = this.rows.get(run.id);
      const list = this.byRun.get(run.id);
      row.drawing = this.mode === "ridgeline"
        ? { mode: "ridgeline", ...drawRidgeline(row.canvas, list, run.color) }
        : { mode: "heatmap", ...drawHeatmap(row.canvas, list, run.color) };
    }
    this.drawn = true;
    this.root.dataset.drawn = "true";
    this.view.publish();
  }

  redraw() {
    if (this.active && this.drawn) this.draw();
  }

  hoverOverlay(event) {
    const drawing = this.overlayDrawing;
    if (!drawing) return;
    const x = event.offsetX;
    const parts = [];
    for (const { run, item } of drawing.series) {
      const bin = binAt(item, drawing.lo, drawing.hi, drawing.plot, x);
      if (bin) parts.push(`${run.name}: ${formatNumber(bin.count)} in [${formatNumber(bin.from)}, ${formatNumber(bin.to)})`);
    }
    this.overlayReadout.textContent = parts.join(" · ");
  }

  hoverRun(row, run, event) {
    const drawing = row.drawing;
    if (!drawing || drawing.mode !== "heatmap") {
      row.readout.textContent = "";
      return;
    }
    const { plot, columns, lo, hi } = drawing;
    const fx = (event.offsetX - plot.x) / plot.w;
    const fy = 1 - (event.offsetY - plot.y) / plot.h;
    if (fx < 0 || fx > 1 || fy < 0 || fy > 1) {
      row.readout.textContent = "";
      return;
    }
    const item = columns[Math.min(columns.length - 1, Math.floor(fx * columns.length))];
    const value = lo + fy * (hi - lo);
    const { edges, counts } = item.meta;
    let text = `step ${formatNumber(item.step)} · value ${formatNumber(value)}`;
    for (let b = 0; b < counts.length; b++) {
      if (value >= edges[b] && value <= edges[b + 1]) {
        text += ` · count ${formatNumber(counts[b])} in [${formatNumber(edges[b])}, ${formatNumber(edges[b + 1])})`;
        break;
      }
    }
    row.readout.textContent = text;
  }
}

const BLOCKS = { visual: VisualBlock, table: TableBlock, histogram: HistogramBlock };

export class MediaView {
  constructor() {
    this.itemsByRun = new Map();
    this.fetchedAt = new Map();
    this.blocks = new Map();
    this.sections = new Map();
    this.generation = 0;
    this.pendingCount = 0;
    this.idleWaiters = [];
    this.failed = null;
    this.filter = "";
    this.liveTimer = null;
    this.liveRuns = new Set();
    this.message = el("p", { class: "empty", hidden: true, "data-testid": "media-empty" });
    this.body = el("div", { class: "media-sections" });
    this.root = el("div", { class: "media-view", "data-testid": "media-view", hidden: true }, this.message, this.body);
    this.root.addEventListener("load", (event) => {
      if (event.target.tagName === "IMG") this.countImages();
    }, true);
    this.root.addEventListener("error", (event) => {
      if (event.target.tagName === "IMG") event.target.classList.add("broken");
    }, true);
    this.observer = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        const block = [...this.blocks.values()].find((b) => b.root === entry.target);
        if (block?.activate) block.activate();
        this.observer.unobserve(entry.target);
      }
    }, { rootMargin: "600px 0px" });
    let frame = 0;
    let width = 0;
    new ResizeObserver(() => {
      if (this.root.clientWidth === width) return;
      width = this.root.clientWidth;
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => this.redraw());
    }).observe(this.root);
    this.imagesLoaded = 0;
    this.synced = false;
  }

  setFilter(text) {
    this.filter = text;
    this.render();
  }

  setCellSize(px) {
    this.root.style.setProperty("--media-cell", `${px}px`);
  }

  reset() {
    this.generation += 1;
    clearTimeout(this.liveTimer);
    this.liveTimer = null;
    this.liveRuns.clear();
    this.itemsByRun.clear();
    this.fetchedAt.clear();
    for (const block of this.blocks.values()) this.observer.unobserve(block.root);
    this.blocks.clear();
    this.sections.clear();
    this.failed = null;
    this.pendingCount = 0;
    this.synced = false;
    this.imagesLoaded = 0;
    this.body.replaceChildren();
    this.message.hidden = true;
    this.publish();
  }

  addPending(delta) {
    this.pendingCount += delta;
    this.publish();
  }

  // Fetch what the selected runs logged (only runs not fetched yet), then render.
  async sync() {
    const generation = this.generation;
    const missing = selectedRuns().map((run) => run.id).filter((id) => !this.itemsByRun.has(id));
    if (missing.length) {
      this.addPending(1);
      try {
        await this.fetchRuns(missing, generation);
      } finally {
        if (generation === this.generation) this.addPending(-1);
      }
    }
    if (generation !== this.generation) return;
    this.render();
  }

  // Fetch the items of `ids`; with `newOnly`, only those logged after the ones held.
  async fetchRuns(ids, generation, newOnly = false) {
    const chunks = [];
    for (let i = 0; i < ids.length; i += RUN_CHUNK) chunks.push(ids.slice(i, i + RUN_CHUNK));
    const after = (runs) => (newOnly ? runs.map((id) => [id, lastItemId(this.itemsByRun.get(id))]) : null);
    try {
      const results = await Promise.all(
        chunks.map((runs) => fetchMedia({ project: state.project, runs, after: after(runs) })),
      );
      if (generation !== this.generation) return;
      // A run dropped while new items were on their way is fetched whole by the next sync.
      if (!newOnly) for (const id of ids) this.itemsByRun.set(id, []);
      for (const items of results) {
        for (const item of items || []) {
          if (!item || typeof item.key !== "string" || !this.itemsByRun.has(item.run)) continue;
          this.itemsByRun.get(item.run).push(item);
        }
      }
      if (newOnly) for (const id of ids) this.itemsByRun.get(id)?.sort(byKeyAndStep);
      const now = Date.now();
      for (const id of ids) this.fetchedAt.set(id, now);
      this.failed = null;
    } catch (error) {
      if (generation !== this.generation) return;
      this.failed = error.status === 404 && /not found/i.test(error.message) && !/project|run/i.test(error.message)
        ? "This server does not serve media (no /api/media)."
        : `Could not load media: ${error.message}`;
    }
  }

  // Runs that logged something new: refetch their items, at most every few seconds per run.
  onRunsChanged(runs) {
    for (const run of runs) {
      if (!this.itemsByRun.has(run.id)) continue;
      // Not on screen: forget the run's items so the next sync fetches them afresh.
      if (this.root.hidden || !state.selected.has(run.id)) this.itemsByRun.delete(run.id);
      else this.liveRuns.add(run.id);
    }
    if (!this.liveRuns.size || this.liveTimer) return;
    const oldest = Math.min(...[...this.liveRuns].map((id) => this.fetchedAt.get(id) ?? 0));
    const wait = Math.max(0, oldest + LIVE_INTERVAL_MS - Date.now());
    const generation = this.generation;
    this.liveTimer = setTimeout(async () => {
      const ids = [...this.liveRuns];
      this.liveRuns.clear();
      await this.fetchRuns(ids, generation, true);
      if (generation !== this.generation) return;
      this.liveTimer = null;
      this.render();
      if (this.liveRuns.size) this.onRunsChanged([]);
    }, wait);
  }

  section(category, title) {
    let section = this.sections.get(category);
    if (section) return section;
    const count = el("span", { class: "section-count" });
    const body = el("div", { class: "media-section-body" });
    section = {
      count,
      body,
      root: el(
        "section",
        { class: "section media-section", "data-testid": "media-section", dataset: { section: category } },
        el("h2", { class: "section-head" }, el("span", { class: "section-title", text: title }), " ", count),
        body,
      ),
    };
    this.sections.set(category, section);
    return section;
  }

  render() {
    const runs = selectedRuns();
    const matches = textMatcher(this.filter);
    const groups = new Map();
    let total = 0;
    for (const run of runs) {
      for (const item of this.itemsByRun.get(run.id) || []) {
        total += 1;
        if (!matches(item.key)) continue;
        const category = categoryOf(item.kind);
        const id = `${category}\u0000${item.key}`;
        if (!groups.has(id)) groups.set(id, { category, key: item.key, items: [] });
        groups.get(id).items.push(item);
      }
    }
    const ordered = [...groups.entries()].sort((a, b) => compareKeys(a[1].key, b[1].key));
    const eager = ordered.length <= EAGER_BLOCKS;
    const byCategory = new Map();
    for (const [id, group] of ordered) {
      let block = this.blocks.get(id);
      if (!block) {
        block = new BLOCKS[group.category](group.key, this);
        block.category = group.category;
        this.blocks.set(id, block);
      }
      if (!byCategory.has(group.category)) byCategory.set(group.category, []);
      byCategory.get(group.category).push(block);
      const blockRuns = runs.filter((run) => group.items.some((item) => item.run === run.id));
      block.update(group.category === "visual" ? runs.filter((run) => this.itemsByRun.get(run.id)?.length) : blockRuns, group.items);
    }
    const roots = [];
    for (const [category, title] of SECTIONS) {
      const blocks = byCategory.get(category);
      if (!blocks) continue;
      const section = this.section(category, title);
      section.count.textContent = String(blocks.length);
      section.body.replaceChildren(...blocks.map((block) => block.root));
      roots.push(section.root);
    }
    this.body.replaceChildren(...roots);
    for (const [id, block] of this.blocks) {
      if (groups.has(id) && block.activate && !block.active) {
        if (eager) block.activate();
        else this.observer.observe(block.root);
      }
    }
    this.message.hidden = ordered.length > 0;
    if (this.failed) this.message.textContent = this.failed;
    else if (!state.runs.length) this.message.textContent = "No runs yet.";
    else if (!runs.length) this.message.textContent = "Select a run to see its media.";
    else if (total) this.message.textContent = "No media key matches the filter.";
    else {
      this.message.textContent = "No media logged yet. Log trackio.Image, Video, Audio, Table or Histogram "
        + "values with trackio.log and they appear here.";
    }
    if (this.failed) this.message.hidden = false;
    this.synced = true;
    this.countImages();
    this.publish();
  }

  redraw() {
    if (this.root.hidden) return;
    for (const block of this.blocks.values()) if (block.root.isConnected) block.redraw();
  }

  countImages() {
    let loaded = 0;
    const imgs = this.root.getElementsByTagName("img");
    for (const img of imgs) if (img.complete && img.naturalWidth > 0) loaded += 1;
    this.imagesLoaded = loaded;
    publishMedia({ images: loaded, imageElements: imgs.length });
  }

  pending() {
    return this.pendingCount;
  }

  whenIdle() {
    if (this.pendingCount === 0 && this.synced) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  publish() {
    let tables = 0;
    let histograms = 0;
    let items = 0;
    for (const block of this.blocks.values()) {
      if (!block.root.isConnected) continue;
      if (block.category === "table") tables += block.runs.filter((run) => block.tables.get(run.id)?.loaded).length;
      if (block.category === "histogram" && block.drawn) histograms += 1;
    }
    for (const run of selectedRuns()) items += this.itemsByRun.get(run.id)?.length || 0;
    publishMedia({ ready: this.synced && this.pendingCount === 0, pending: this.pendingCount, tables, histograms, items, images: this.imagesLoaded });
    if (this.pendingCount === 0 && this.synced && this.idleWaiters.length) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      waiters.forEach((resolve) => resolve());
    }
  }
}
