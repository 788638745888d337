import "./style.css";
import { el, clear } from "./dom.js";
import { fetchFrozenInfo, fetchMetrics, fetchProjects, fetchRuns } from "./api.js";
import { isBuiltinX, keepOnlyRuns, mergeRuns, on, readUrl, resetProject, state, writeUrl } from "./state.js";
import { ChartsView } from "./charts.js";
import { AlertsView } from "./alerts.js";
import { alerts } from "./alertdata.js";
import { MediaView } from "./media.js";
import { RunList } from "./runlist.js";
import { RunsTable } from "./table.js";
import { LivePoller } from "./live.js";
import { STATIC_DATA } from "./staticdata.js";
import { markLoading, markReady } from "./testhooks.js";

const NARROW = window.matchMedia("(max-width: 760px)");
const DARK = window.matchMedia("(prefers-color-scheme: dark)");

readUrl();

const charts = new ChartsView();
const runList = new RunList();
const table = new RunsTable();
const media = new MediaView();
const alertsView = new AlertsView();
// The Sweep view's code loads when a page first needs it: most never show it, and
// every page would parse it before drawing a chart.
const sweepHost = el("div", { class: "sweep-host", hidden: true });
let sweep = null;
let sweepLoading = null;
// A failure (the server upgraded since the page loaded, its file names changed) is
// said in the page, and the next need tries again.
function loadSweep() {
  sweepLoading ??= import("./sweep.js")
    .then(({ SweepView }) => {
      sweep = new SweepView();
      sweep.root.hidden = state.view !== "sweep";
      sweepHost.append(sweep.root);
      return sweep;
    })
    .catch((error) => {
      sweepLoading = null;
      showNotice(`Could not load the Sweep view (reload the page): ${error.message}`);
      return null;
    });
  return sweepLoading;
}
let loadToken = 0;
// A frozen dashboard's description (`trackio freeze`): its data never changes, so
// nothing polls, and the navbar says what it is.
let frozen = null;

const projectSelect = el("select", {
  class: "project-select",
  "aria-label": "Project",
  "data-testid": "project-select",
  onchange: () => switchProject(projectSelect.value),
});
const liveBadge = el("span", { class: "live-badge", title: "Polling the server every second" });
const navbar = el(
  "header",
  { class: "navbar", hidden: !state.navbar },
  el("span", { class: "brand", text: "trackio" }),
  el("label", { class: "project-label" }, el("span", { class: "visually-hidden", text: "Project" }), projectSelect),
  liveBadge,
);

const sidebarToggle = el("button", {
  type: "button",
  class: "sidebar-toggle",
  title: "Show or hide the runs list",
  "aria-label": "Toggle runs list",
  text: "☰",
  hidden: state.sidebar === "hidden",
  onclick: () => document.body.classList.toggle("sidebar-collapsed"),
});
const viewCharts = el("button", {
  type: "button",
  class: "tab",
  text: "Charts",
  "data-testid": "view-charts",
  onclick: () => setView("charts"),
});
const viewTable = el("button", {
  type: "button",
  class: "tab",
  text: "Table",
  "data-testid": "view-table",
  onclick: () => setView("table"),
});
const viewMedia = el("button", {
  type: "button",
  class: "tab",
  text: "Media",
  "data-testid": "view-media",
  onclick: () => setView("media"),
});
const viewAlerts = el(
  "button",
  {
    type: "button",
    class: "tab",
    "data-testid": "view-alerts",
    onclick: () => setView("alerts"),
  },
  "Alerts",
  alertsView.tabCount,
);
const viewSweep = el("button", {
  type: "button",
  class: "tab",
  text: "Sweep",
  "data-testid": "view-sweep",
  onclick: () => setView("sweep"),
});
const mediaFilter = el("input", {
  type: "search",
  class: "metric-filter",
  placeholder: "Filter keys (regex)",
  "aria-label": "Filter media keys",
  "data-testid": "media-filter",
  oninput: () => media.setFilter(mediaFilter.value),
});
const mediaSize = el("input", {
  type: "range",
  min: "120",
  max: "640",
  step: "20",
  value: "260",
  "aria-label": "Image size",
  "data-testid": "media-size",
  oninput: () => media.setCellSize(Number(mediaSize.value)),
});
const mediaControls = el(
  "div",
  { class: "chart-controls", hidden: true },
  mediaFilter,
  el("label", { class: "control" }, el("span", { text: "Size" }), mediaSize),
);
const metricFilter = el("input", {
  type: "search",
  class: "metric-filter",
  placeholder: "Filter metrics (regex)",
  "aria-label": "Filter metrics",
  "data-testid": "metric-filter",
  oninput: () => {
    state.metricFilter = metricFilter.value;
    charts.sync();
  },
});
const smoothingValue = el("output", { class: "smoothing-value" });
const smoothing = el("input", {
  type: "range",
  min: "0",
  max: "0.999",
  step: "0.001",
  "aria-label": "Smoothing",
  "data-testid": "smoothing",
});
smoothing.value = String(state.smoothing);
let smoothingFrame = 0;
smoothing.addEventListener("input", () => {
  state.smoothing = Number(smoothing.value);
  smoothingValue.textContent = state.smoothing.toFixed(3);
  writeUrl();
  cancelAnimationFrame(smoothingFrame);
  smoothingFrame = requestAnimationFrame(() => charts.redrawAll());
});
smoothingValue.textContent = state.smoothing.toFixed(3);
const xAxis = el("select", {
  class: "x-axis",
  "aria-label": "X axis",
  "data-testid": "x-axis",
  onchange: () => {
    state.x = xAxis.value;
    writeUrl();
    charts.resetData();
  },
});
const logY = el("input", {
  type: "checkbox",
  "data-testid": "log-y",
  onchange: () => {
    state.logY = logY.checked;
    charts.redrawAll();
  },
});
// Shown while the runs list groups runs: a line per group, or back to a line per run.
const groupLines = el("input", {
  type: "checkbox",
  "data-testid": "group-lines",
  onchange: () => {
    state.groupLines = groupLines.checked;
    writeUrl();
    runList.render();
    charts.redrawAll();
  },
});
const groupLinesControl = el(
  "label",
  { class: "control", title: "One line per group: the mean of its runs over their min–max band" },
  groupLines,
  el("span", { text: "Group lines" }),
);
function showGroupLines() {
  groupLinesControl.hidden = !state.groupBy;
  groupLines.checked = state.groupLines;
}
showGroupLines();
const chartControls = el(
  "div",
  { class: "chart-controls" },
  metricFilter,
  el("label", { class: "control" }, el("span", { text: "Smoothing" }), smoothing, smoothingValue),
  el("label", { class: "control" }, el("span", { text: "X axis" }), xAxis),
  el("label", { class: "control" }, logY, el("span", { text: "Log y" })),
  groupLinesControl,
);
const toolbar = el(
  "div",
  { class: "toolbar" },
  sidebarToggle,
  el("div", { class: "tabs", role: "tablist" }, viewCharts, viewTable, viewMedia, viewAlerts, viewSweep),
  chartControls,
  mediaControls,
  alertsView.controls,
);
const notice = el("p", { class: "notice", hidden: true, role: "status" });
const views = [charts.root, table.root, media.root, alertsView.root, sweepHost];
const content = el("main", { class: "content" }, toolbar, notice, ...views);
const sidebar = state.sidebar === "hidden" ? null : el("aside", { class: "sidebar" }, runList.root);
const scrim = el("div", { class: "scrim", onclick: () => document.body.classList.add("sidebar-collapsed") });
const app = document.getElementById("app");
app.append(navbar, el("div", { class: "layout" }, sidebar, scrim, content));
if (state.sidebar === "hidden") document.body.classList.add("sidebar-hidden");
if (state.sidebar === "collapsed" || NARROW.matches) document.body.classList.add("sidebar-collapsed");

function showNotice(text) {
  notice.textContent = text || "";
  notice.hidden = !text;
}

function setView(view) {
  state.view = view;
  writeUrl();
  applyView();
}

function applyView() {
  const view = state.view;
  viewCharts.setAttribute("aria-selected", String(view === "charts"));
  viewTable.setAttribute("aria-selected", String(view === "table"));
  viewMedia.setAttribute("aria-selected", String(view === "media"));
  viewAlerts.setAttribute("aria-selected", String(view === "alerts"));
  viewSweep.setAttribute("aria-selected", String(view === "sweep"));
  charts.root.hidden = view !== "charts";
  chartControls.hidden = view !== "charts";
  table.root.hidden = view !== "table";
  media.root.hidden = view !== "media";
  mediaControls.hidden = view !== "media";
  alertsView.root.hidden = view !== "alerts";
  alertsView.controls.hidden = view !== "alerts";
  sweepHost.hidden = view !== "sweep";
  if (sweep) sweep.root.hidden = view !== "sweep";
  if (view === "charts") charts.sync();
  else redrawView();
}

// The view shown, again: its runs (selection, filter) or what they hold changed.
function redrawView() {
  if (state.view === "table") table.render();
  else if (state.view === "media") media.sync();
  else if (state.view === "alerts") alertsView.render();
  else if (state.view === "sweep") loadSweep().then((view) => state.view === "sweep" && view?.render());
  else charts.redrawAll();
}

function renderXAxisOptions() {
  const options = [["step", "Step"], ["time", "Wall time"], ["relative", "Relative time"]];
  for (const metric of state.metrics) options.push([metric, metric]);
  if (!options.some(([value]) => value === state.x)) options.push([state.x, state.x]);
  const signature = options.map(([value]) => value).join("\u0000");
  if (signature !== xAxis.dataset.signature) {
    xAxis.dataset.signature = signature;
    clear(xAxis);
    for (const [value, label] of options) xAxis.append(el("option", { value, text: label }));
  }
  xAxis.value = state.x;
}

function renderProjects() {
  clear(projectSelect);
  const names = state.projects.includes(state.project) || !state.project
    ? state.projects
    : [state.project, ...state.projects];
  for (const name of names) projectSelect.append(el("option", { value: name, text: name }));
  if (state.project) projectSelect.value = state.project;
}

const sameList = (a, b) => a.join("\u0000") === b.join("\u0000");

async function refreshMetrics() {
  const { metrics, system } = await fetchMetrics(state.project);
  if (sameList(metrics, state.metrics) && sameList(system, state.systemMetrics)) return false;
  state.metrics = metrics;
  state.systemMetrics = system;
  renderXAxisOptions();
  return true;
}

async function onLiveRuns(runs, runIds) {
  const project = state.project;
  if (runIds && keepOnlyRuns(runIds)) {
    alerts.keepRuns(runIds);
    runList.render();
    writeUrl();
    redrawView();
  }
  const { added, changed } = mergeRuns(runs);
  if (!added.length && !changed.length) return;
  runList.render();
  if (state.view === "table") table.render();
  if (state.view === "sweep") sweep?.render();
  media.onRunsChanged(changed);
  if (state.view === "media" && added.some((run) => state.selected.has(run.id))) media.sync();
  // Raising an alert touches its run: only the runs that changed are read again.
  const changedIds = [...added, ...changed].map((run) => run.id);
  const [metricsChanged] = await Promise.all([
    refreshMetrics().catch(() => false),
    alerts.refreshRuns(changedIds),
  ]);
  if (project !== state.project) return;
  if (state.view !== "charts") return;
  if (metricsChanged || added.some((run) => state.selected.has(run.id))) charts.sync();
  charts.onRunsChanged(changed);
}

const live = new LivePoller(onLiveRuns, (ok, error) => {
  liveBadge.textContent = ok ? "live" : "offline";
  liveBadge.classList.toggle("offline", !ok);
  liveBadge.title = ok ? "Polling the server every second" : `Server unreachable: ${error?.message ?? ""}`;
});

async function loadProject() {
  const token = ++loadToken;
  const project = state.project;
  live.stop();
  markLoading(project);
  charts.reset();
  media.reset();
  alerts.reset(project);
  showNotice("");
  if (!project) {
    alertsView.renderTab();
    runList.render();
    showNotice("No projects yet. Start a run with trackio.init(project=...) and it will appear here.");
    markReady(null);
    return;
  }
  try {
    const [runsResponse, { metrics, system }] = await Promise.all([
      fetchRuns(project),
      fetchMetrics(project),
      alerts.load(project),
    ]);
    if (token !== loadToken) return;
    mergeRuns(runsResponse.runs);
    // A link's brushes select their runs whichever view it opens.
    if (state.view === "sweep" || state.parcoords) {
      (await loadSweep())?.applyLink();
      if (token !== loadToken) return;
    }
    state.metrics = metrics;
    state.systemMetrics = system;
    const unknownAxis = !isBuiltinX(state.x) && !metrics.includes(state.x) ? state.x : null;
    if (unknownAxis != null) state.x = "step";
    renderXAxisOptions();
    // The charts ask for their series before the runs list is built: a sweep's
    // thousand rows take a while, and the server computes in the meantime.
    runList.renderGroupOptions();
    alertsView.renderTab();
    writeUrl();
    applyView();
    runList.render();
    if (!frozen) live.start(project, runsResponse.cursor);
    if (unknownAxis != null) showNotice(`No x axis “${unknownAxis}” in this project: showing Step.`);
    await charts.whenIdle();
    if (state.view === "media") await media.whenIdle();
  } catch (error) {
    if (token !== loadToken) return;
    showNotice(`Could not load project “${project}”: ${error.message}`);
    for (const view of views) view.hidden = true;
    runList.render();
  }
  if (token === loadToken) markReady(project);
}

function switchProject(project) {
  resetProject(project);
  state.metricFilter = "";
  metricFilter.value = "";
  writeUrl();
  loadProject();
}

on("selection", () => {
  runList.render();
  redrawView();
});
on("runFilter", redrawView);
on("groupBy", () => {
  showGroupLines();
  redrawView();
});
on("alerts", () => {
  runList.render();
  alertsView.render();
});
on("showAlerts", () => setView("alerts"));

DARK.addEventListener("change", () => {
  charts.setTheme(DARK.matches ? "dark" : "light");
  media.redraw();
});
NARROW.addEventListener("change", () => {
  if (NARROW.matches) document.body.classList.add("sidebar-collapsed");
});
charts.themeKey = DARK.matches ? "dark" : "light";
logY.checked = state.logY;

function showFrozen(info) {
  const when = new Date(info.frozen_at * 1000);
  const day = when.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
  liveBadge.textContent = `Snapshot of ${info.project}, frozen ${day}`;
  liveBadge.title = `A read-only copy of ${info.project} made by trackio freeze on ${when.toLocaleString()}; it does not update.`;
  liveBadge.classList.add("snapshot");
  liveBadge.dataset.testid = "snapshot-badge";
  // One project, named by the badge: a selector would offer nothing.
  projectSelect.closest("label").hidden = true;
}

async function startFrozen() {
  try {
    frozen = await fetchFrozenInfo();
  } catch (error) {
    showNotice(`Could not load this snapshot: ${error.message}`);
    markReady(null);
    return;
  }
  showFrozen(frozen);
  // A link's runs and metrics hold unless it names another project.
  if (state.project && state.project !== frozen.project) resetProject(frozen.project);
  state.project = frozen.project;
  state.projects = [frozen.project];
  renderProjects();
  await loadProject();
}

async function start() {
  if (STATIC_DATA) {
    await startFrozen();
    return;
  }
  const projects = fetchProjects();
  if (state.project) {
    renderProjects();
    projects
      .then((names) => {
        state.projects = names;
        renderProjects();
      })
      .catch(() => {});
    await loadProject();
    return;
  }
  try {
    state.projects = await projects;
  } catch (error) {
    showNotice(`Could not reach the trackio server: ${error.message}`);
    markReady(null);
    return;
  }
  state.project = state.projects[0] ?? null;
  renderProjects();
  await loadProject();
}

start();
