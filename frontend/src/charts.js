import { el, clear, textMatcher } from "./dom.js";
import { fetchSeries } from "./api.js";
import { Chart } from "./chart.js";
import { state, selectedRuns } from "./state.js";
import { publishCharts } from "./testhooks.js";
import { SYSTEM_SECTION, orderSystemMetrics, shownName, systemUnit, systemX } from "./system.js";

const CONCURRENCY = 6;
// Past a few hundred runs a chart's series keep the server busy for a while: two at a
// time, the first charts arrive (and draw while the next are computed) rather than
// all of them together at the end.
const HEAVY_RUNS = 200;
const HEAVY_CONCURRENCY = 2;
const EAGER_LIMIT = 40;
const DEFAULT_SECTION = "";

function sectionOf(metric) {
  const slash = metric.indexOf("/");
  return slash > 0 ? metric.slice(0, slash) : DEFAULT_SECTION;
}

function globMatcher(patterns) {
  if (!patterns) return () => true;
  const regexes = patterns.map((pattern) => {
    const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
    return new RegExp(`^${escaped}$`);
  });
  return (metric) => regexes.some((re) => re.test(metric));
}

export class ChartsView {
  constructor() {
    this.charts = new Map();
    this.sections = new Map();
    this.collapsed = new Set();
    this.attached = [];
    this.loaded = new Map();
    this.queue = [];
    // Requests holding one of the CONCURRENCY slots; `running` also counts those whose
    // answer is still being read and drawn (a slot is freed once the server answers).
    this.active = 0;
    this.activeHeavy = 0;
    this.running = 0;
    this.generation = 0;
    this.themeKey = "";
    this.refetching = new Set();
    this.idleWaiters = [];
    this.message = el("p", { class: "empty", hidden: true });
    this.body = el("div", { class: "sections" });
    this.root = el("div", { class: "charts-view" }, this.message, this.body);
    this.observer = new IntersectionObserver((entries) => this.onIntersect(entries), {
      rootMargin: "800px 0px",
    });
    let frame = 0;
    this.resizer = new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => this.attached.forEach((chart) => chart.resize()));
    });
    this.resizer.observe(this.body);
  }

  viewState(chart) {
    return {
      runs: selectedRuns(),
      smoothing: state.smoothing,
      logY: state.logY,
      xMode: this.xOf(chart),
      themeKey: this.themeKey,
      groupBy: state.groupBy,
      groupLines: state.groupLines,
    };
  }

  xOf(chart) {
    return chart.system ? systemX(state.x) : state.x;
  }

  visibleMetrics() {
    const listed = globMatcher(state.metricsParam);
    const filtered = textMatcher(state.metricFilter);
    return state.metrics.filter((metric) => listed(metric) && filtered(metric));
  }

  // The filter box finds a system metric by the name it is shown by or by its stored
  // name (so "^cpu" and "^system/" both work); a link's `metrics=` globs by stored name.
  visibleSystemMetrics() {
    const listed = globMatcher(state.metricsParam);
    const filtered = textMatcher(state.metricFilter);
    const shown = state.systemMetrics.filter(
      (metric) => listed(metric) && (filtered(metric) || filtered(shownName(metric))),
    );
    return orderSystemMetrics(shown);
  }

  chartFor(metric, system) {
    let chart = this.charts.get(metric);
    if (!chart) {
      const options = system ? { title: shownName(metric), unit: systemUnit(shownName(metric)), system } : {};
      chart = new Chart(metric, () => this.publish(), options);
      this.charts.set(metric, chart);
    }
    return chart;
  }

  dropQueue() {
    for (const job of this.queue) job.chart.fetching -= 1;
    this.queue = [];
  }

  reset() {
    this.generation += 1;
    this.dropQueue();
    for (const chart of this.charts.values()) chart.destroy();
    this.charts.clear();
    this.loaded.clear();
    this.attached = [];
    this.sections.clear();
    clear(this.body);
    this.publish();
  }

  resetData() {
    this.generation += 1;
    this.dropQueue();
    for (const chart of this.charts.values()) chart.clearSeries();
    this.loaded.clear();
    this.sync();
  }

  section(prefix, title = prefix || "Charts") {
    let section = this.sections.get(prefix);
    if (section) return section;
    const grid = el("div", { class: "section-grid" });
    const count = el("span", { class: "section-count" });
    const toggle = el(
      "button",
      {
        class: "section-toggle",
        type: "button",
        "aria-expanded": "true",
        onclick: () => {
          if (this.collapsed.has(prefix)) this.collapsed.delete(prefix);
          else this.collapsed.add(prefix);
          this.sync();
        },
      },
      el("span", { class: "chevron", "aria-hidden": "true" }),
      el("span", { class: "section-title", text: title }),
      count,
    );
    const root = el(
      "section",
      { class: "section", "data-testid": "section", dataset: { section: prefix } },
      el("h2", { class: "section-head" }, toggle),
      grid,
    );
    section = { root, grid, toggle, count };
    this.sections.set(prefix, section);
    return section;
  }

  sync() {
    const metrics = this.visibleMetrics();
    const byPrefix = new Map();
    for (const metric of metrics) {
      const prefix = sectionOf(metric);
      if (!byPrefix.has(prefix)) byPrefix.set(prefix, []);
      byPrefix.get(prefix).push(metric);
    }
    const groups = [...byPrefix].map(([prefix, names]) => ({ prefix, names, title: prefix || "Charts" }));
    // No training metric is named `system/...` (those are system metrics), so the
    // System section's key is its own; it comes last, after the training sections.
    const system = this.visibleSystemMetrics();
    if (system.length) groups.push({ prefix: SYSTEM_SECTION, names: system, title: "System", system: true });
    const attached = [];
    const roots = [];
    for (const { prefix, names, title, system: isSystem } of groups) {
      const section = this.section(prefix, title);
      const collapsed = this.collapsed.has(prefix);
      section.root.classList.toggle("collapsed", collapsed);
      section.toggle.setAttribute("aria-expanded", String(!collapsed));
      section.count.textContent = String(names.length);
      roots.push(section.root);
      if (collapsed) {
        section.grid.replaceChildren();
        continue;
      }
      const chartRoots = names.map((metric) => {
        const chart = this.chartFor(metric, Boolean(isSystem));
        attached.push(chart);
        return chart.root;
      });
      section.grid.replaceChildren(...chartRoots);
    }
    this.body.replaceChildren(...roots);
    for (const chart of this.attached) if (!attached.includes(chart)) this.observer.unobserve(chart.root);
    this.attached = attached;
    this.message.hidden = metrics.length + system.length > 0;
    this.message.textContent = state.metrics.length + state.systemMetrics.length
      ? "No metric matches the filter."
      : "No metrics logged yet. Charts appear here as soon as a run logs a number.";
    const eager = attached.length <= EAGER_LIMIT;
    for (const chart of attached) {
      chart.resize();
      if (eager) this.refresh(chart);
      else this.observer.observe(chart.root);
    }
    this.publish();
  }

  onIntersect(entries) {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      const chart = this.attached.find((c) => c.root === entry.target);
      if (chart) this.refresh(chart);
    }
  }

  loadedRuns(metric) {
    if (!this.loaded.has(metric)) this.loaded.set(metric, new Set());
    return this.loaded.get(metric);
  }

  refresh(chart) {
    const loaded = this.loadedRuns(chart.metric);
    const missing = selectedRuns().filter((run) => !loaded.has(run.id)).map((run) => run.id);
    if (missing.length) this.enqueue(chart, missing, null);
    else if (chart.fetching) chart.needsDraw = true;
    else this.draw(chart);
  }

  redrawAll() {
    for (const chart of this.attached) if (chart.drawn || this.loadedRuns(chart.metric).size) this.refresh(chart);
  }

  setTheme(key) {
    this.themeKey = key;
    this.redrawAll();
  }

  onRunsChanged(runs) {
    const selected = runs.filter((run) => state.selected.has(run.id));
    if (!selected.length) return;
    for (const chart of this.attached) {
      const loaded = this.loadedRuns(chart.metric);
      for (const run of selected) if (loaded.has(run.id)) chart.liveWanted.add(run.id);
      this.scheduleLive(chart);
    }
  }

  scheduleLive(chart) {
    if (chart.liveBusy || !chart.liveWanted.size) return;
    const runIds = [...chart.liveWanted];
    chart.liveWanted.clear();
    chart.liveBusy = true;
    const after = [];
    for (const id of runIds) {
      const last = chart.series.get(id)?.lastStep;
      if (last != null) after.push([id, last]);
    }
    this.push({ chart, runIds, after, live: true, generation: this.generation });
  }

  enqueue(chart, runIds, after) {
    const loaded = this.loadedRuns(chart.metric);
    for (const id of runIds) loaded.add(id);
    this.push({ chart, runIds, after, generation: this.generation });
    this.publish();
  }

  pump() {
    while (this.active < CONCURRENCY && this.queue.length) {
      const index = this.queue.findIndex((job) => !this.isHeavy(job) || this.activeHeavy < HEAVY_CONCURRENCY);
      if (index < 0) return;
      const [job] = this.queue.splice(index, 1);
      const heavy = this.isHeavy(job);
      this.active += 1;
      this.running += 1;
      if (heavy) this.activeHeavy += 1;
      // The next request goes out as soon as the server answers this one, before its
      // body is read and drawn: the server computes while the page draws.
      let released = false;
      job.release = () => {
        if (released) return;
        released = true;
        this.active -= 1;
        if (heavy) this.activeHeavy -= 1;
        this.pump();
      };
      this.run(job).finally(() => {
        job.release();
        this.running -= 1;
        this.publish();
      });
    }
  }

  isHeavy(job) {
    return job.runIds.length >= HEAVY_RUNS;
  }

  push(job) {
    job.chart.fetching += 1;
    this.queue.push(job);
    this.pump();
  }

  async run(job) {
    try {
      await this.fetchJob(job);
    } finally {
      const { chart } = job;
      chart.fetching -= 1;
      if (!chart.fetching && chart.needsDraw && this.attached.includes(chart)) this.draw(chart);
      if (job.live) {
        job.chart.liveBusy = false;
        if (job.generation === this.generation) this.scheduleLive(job.chart);
      }
    }
  }

  async fetchJob({ chart, runIds, after, generation, release }) {
    if (generation !== this.generation) return;
    chart.root.classList.add("loading");
    try {
      const response = await fetchSeries({
        project: state.project,
        metric: chart.metric,
        runs: runIds,
        x: this.xOf(chart),
        maxPoints: chart.maxPoints(),
        after,
        onAnswer: release,
      });
      if (generation !== this.generation) return;
      const afterSteps = new Map(after || []);
      const stale = chart.setSeries(response.series, afterSteps);
      for (const id of stale) chart.liveWanted.add(id);
      chart.status.textContent = "";
      if (afterSteps.size && this.tooLong(chart)) this.refetch(chart);
      if (this.attached.includes(chart)) this.draw(chart);
    } catch (error) {
      if (generation !== this.generation) return;
      if (!after?.length) for (const id of runIds) this.loadedRuns(chart.metric).delete(id);
      chart.status.textContent = `could not load: ${error.message}`;
    } finally {
      if (chart.fetching <= 1) chart.root.classList.remove("loading");
    }
  }

  tooLong(chart) {
    const limit = chart.maxPoints() * 3;
    for (const s of chart.series.values()) if (s.x.length > limit) return true;
    return false;
  }

  refetch(chart) {
    if (this.refetching.has(chart.metric)) return;
    this.refetching.add(chart.metric);
    const ids = [...this.loadedRuns(chart.metric)];
    this.push({ chart, runIds: ids, after: null, generation: this.generation });
    setTimeout(() => this.refetching.delete(chart.metric), 2000);
  }

  draw(chart) {
    chart.needsDraw = false;
    chart.render(this.viewState(chart));
    this.publish();
  }

  pending() {
    return this.queue.length + this.running;
  }

  whenIdle() {
    if (this.pending() === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  publish() {
    const pending = this.pending();
    publishCharts(this.attached, pending);
    if (pending === 0 && this.idleWaiters.length) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      waiters.forEach((resolve) => resolve());
    }
  }
}
