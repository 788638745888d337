import { runToken, state, writeUrl } from "./state.js";

// What every chart brings to the front: the runs under the pointer (a row of the runs
// list, a line of a chart) while it is there, else the run a click or a link pinned.
let hovered = null;
const charts = new Set();
const focusListeners = new Set();
let frame = 0;

export function pinnedRun() {
  const token = state.highlight;
  if (!token) return null;
  // A token is a run's name unless that name is ambiguous or some run's id (runToken).
  return state.runById.get(token) ?? state.runs.find((run) => run.name === token) ?? null;
}

/** The ids of the highlighted runs, or null when nothing is. */
export function highlightedRuns() {
  if (hovered) return hovered;
  const run = pinnedRun();
  return run ? new Set([run.id]) : null;
}

function sameSet(a, b) {
  if (a === b) return true;
  if (!a || !b || a.size !== b.size) return false;
  for (const id of a) if (!b.has(id)) return false;
  return true;
}

export function hoverRuns(ids) {
  const next = ids && ids.length ? new Set(ids) : null;
  if (sameSet(next, hovered)) return;
  hovered = next;
  schedule();
}

/** Pins `run` (or nothing) as the highlighted run, in the URL too, and has the runs
 * list show it. */
export function pinRun(run) {
  state.highlight = run ? runToken(run) : null;
  writeUrl();
  schedule();
  for (const handler of focusListeners) handler(run ? { run } : null);
}

/** Has the runs list show a group (a group line was clicked); pins no run. */
export function focusGroup(key) {
  if (state.highlight) {
    state.highlight = null;
    writeUrl();
    schedule();
  }
  for (const handler of focusListeners) handler({ group: key });
}

export function onFocus(handler) {
  focusListeners.add(handler);
}

export function trackChart(chart) {
  charts.add(chart);
}

export function untrackChart(chart) {
  charts.delete(chart);
}

// Pointer moves come faster than frames: one restyle per frame, of the charts on the
// page (a chart in a collapsed section takes the highlight when it is drawn again).
function schedule() {
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    for (const chart of charts) if (chart.root.isConnected) chart.applyHighlight();
  });
}
