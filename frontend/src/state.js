import { colorAt } from "./colors.js";
import { textMatcher } from "./dom.js";
import { formatAxisRef, formatParcoords, parseAxisRef, parseParcoords } from "./parcoordsurl.js";

const X_MODES = new Set(["step", "time", "relative"]);
const listeners = new Map();

export const state = {
  project: null,
  projects: [],
  runs: [],
  runById: new Map(),
  selected: new Set(),
  autoSelectNew: true,
  requestedRuns: null,
  metrics: [],
  // System metrics' stored names (`system/...`), charted in their own section.
  systemMetrics: [],
  metricsParam: null,
  metricFilter: "",
  runFilter: "",
  groupBy: "",
  // Grouped, charts draw a line per group unless this is off (`group_lines=0`).
  groupLines: true,
  // The run a click or a link's `highlight=` singled out: a run token (see runToken).
  highlight: null,
  smoothing: 0,
  x: "step",
  logY: false,
  view: "charts",
  // The Sweep view's axes and brushes (`parcoords=`, grammar in parcoords.js; null:
  // the default axes), its colour metric (`parcolor=`) and scatter axes (`scatter=x,y`).
  parcoords: null,
  parcolor: null,
  scatter: null,
  sidebar: "shown",
  navbar: true,
};

export function on(event, handler) {
  if (!listeners.has(event)) listeners.set(event, new Set());
  listeners.get(event).add(handler);
}

export function emit(event, detail) {
  for (const handler of listeners.get(event) || []) handler(detail);
}

function splitList(value) {
  return value
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
}

export function readUrl() {
  const params = new URLSearchParams(location.search);
  state.project = params.get("project");
  const metrics = params.get("metrics");
  state.metricsParam = metrics ? splitList(metrics) : null;
  const runs = params.get("runs");
  state.requestedRuns = runs ? splitList(runs) : null;
  state.autoSelectNew = !runs;
  const sidebar = params.get("sidebar");
  state.sidebar = sidebar === "hidden" || sidebar === "collapsed" ? sidebar : "shown";
  state.navbar = params.get("navbar") !== "hidden";
  const smoothing = Number.parseFloat(params.get("smoothing"));
  state.smoothing = Number.isFinite(smoothing) ? Math.min(Math.max(smoothing, 0), 0.999) : 0;
  state.x = params.get("x") || "step";
  const group = params.get("group") || "";
  state.groupBy = group === "group" || group.startsWith("config:") ? group : "";
  state.groupLines = params.get("group_lines") !== "0";
  state.highlight = params.get("highlight") || null;
  const view = params.get("view");
  state.view = ["table", "media", "alerts", "sweep"].includes(view) ? view : "charts";
  state.parcoords = params.has("parcoords") ? parseParcoords(params.get("parcoords")) : null;
  state.parcolor = params.get("parcolor") || null;
  const scatter = (params.get("scatter") || "").split(",").map(parseAxisRef);
  state.scatter = scatter.length === 2 && scatter.every(Boolean) ? scatter : null;
}

export function runToken(run) {
  const sameName = state.runs.filter((other) => other.name === run.name).length;
  const clashesWithId = state.runs.some((other) => other.id === run.name && other !== run);
  if (sameName === 1 && !clashesWithId && !run.name.includes(",") && run.name.trim() === run.name) {
    return run.name;
  }
  return run.id;
}

export function writeUrl() {
  const params = new URLSearchParams(location.search);
  const set = (key, value) => (value == null ? params.delete(key) : params.set(key, value));
  set("project", state.project);
  const allSelected = state.runs.length > 0 && state.runs.every((run) => state.selected.has(run.id));
  if (state.runs.length === 0 && state.requestedRuns) set("runs", state.requestedRuns.join(","));
  else if (allSelected && state.autoSelectNew) set("runs", null);
  else set("runs", state.runs.filter((run) => state.selected.has(run.id)).map(runToken).join(","));
  set("smoothing", state.smoothing > 0 ? String(state.smoothing) : null);
  set("x", state.x !== "step" ? state.x : null);
  set("view", state.view !== "charts" ? state.view : null);
  set("group", state.groupBy || null);
  set("group_lines", state.groupBy && !state.groupLines ? "0" : null);
  set("highlight", state.highlight);
  set("parcoords", state.parcoords ? formatParcoords(state.parcoords) : null);
  set("parcolor", state.parcolor);
  set("scatter", state.scatter ? state.scatter.map(formatAxisRef).join(",") : null);
  const query = params.toString().replace(/%2C/gi, ",").replace(/%2F/gi, "/").replace(/%3A/gi, ":");
  const url = `${location.pathname}${query ? `?${query}` : ""}${location.hash}`;
  if (url !== `${location.pathname}${location.search}${location.hash}`) history.replaceState(null, "", url);
}

export function resetProject(project) {
  state.project = project;
  state.runs = [];
  state.runById = new Map();
  state.selected = new Set();
  state.autoSelectNew = true;
  state.requestedRuns = null;
  state.metrics = [];
  state.systemMetrics = [];
  state.metricsParam = null;
  state.highlight = null;
  state.parcoords = null;
  state.parcolor = null;
  state.scatter = null;
}

function matchesRequested(run) {
  return state.requestedRuns.includes(run.id) || state.requestedRuns.includes(run.name);
}

export function mergeRuns(incoming) {
  const added = [];
  const changed = [];
  for (const run of incoming) {
    const existing = state.runById.get(run.id);
    if (existing) {
      const grew = existing.updated_at !== run.updated_at || existing.status !== run.status
        || existing.last_step !== run.last_step;
      if (grew) {
        Object.assign(existing, run);
        changed.push(existing);
      }
      continue;
    }
    const record = { ...run, color: colorAt(state.runs.length) };
    state.runs.push(record);
    state.runById.set(record.id, record);
    added.push(record);
    const wanted = state.requestedRuns ? matchesRequested(record) : state.autoSelectNew;
    if (wanted) state.selected.add(record.id);
  }
  return { added, changed };
}

/** Forget runs the server no longer has; returns whether any went. */
export function keepOnlyRuns(ids) {
  const kept = new Set(ids);
  const remaining = state.runs.filter((run) => kept.has(run.id));
  if (remaining.length === state.runs.length) return false;
  for (const run of state.runs) {
    if (kept.has(run.id)) continue;
    state.runById.delete(run.id);
    state.selected.delete(run.id);
  }
  state.runs = remaining;
  return true;
}

export function filteredRuns() {
  const matches = textMatcher(state.runFilter);
  return state.runs.filter((run) => matches(run.name) || (run.group != null && matches(run.group)));
}

// The runs every view shows: ticked, and matching the run filter.
export function selectedRuns() {
  return filteredRuns().filter((run) => state.selected.has(run.id));
}

export function setSelected(ids, selected) {
  for (const id of ids) {
    if (selected) state.selected.add(id);
    else state.selected.delete(id);
  }
  state.requestedRuns = null;
  state.autoSelectNew = state.runs.every((run) => state.selected.has(run.id));
  emit("selection");
  writeUrl();
}

export function isBuiltinX(x) {
  return X_MODES.has(x);
}
