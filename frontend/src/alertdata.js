import { fetchAlerts } from "./api.js";
import { emit } from "./state.js";

// Least grave first, as the server's trackio.alerts.levels.LEVELS.
export const LEVELS = ["INFO", "WARN", "ERROR"];

export function levelRank(level) {
  return LEVELS.indexOf(level);
}

export function gravest(levels) {
  let worst = null;
  for (const level of levels) if (worst == null || levelRank(level) > levelRank(worst)) worst = level;
  return worst;
}

const byTimeDesc = (a, b) => b.time - a.time;
const MAX_RUNS_PER_QUERY = 40;

// The project's alerts, every level, newest first. Loaded whole with the project; after
// that only the runs the live poll says changed are read again (an alert touches its
// run), so a poll costs one small query per changed run, not the whole list.
// Emits "alerts" when what it holds changes.
class AlertStore {
  constructor() {
    this.reset(null);
  }

  reset(project) {
    this.project = project;
    this.list = [];
    this.byRun = new Map();
    this.error = null;
    this.token = (this.token ?? 0) + 1;
  }

  // Never throws: a failure is kept in `error` for the alerts view to show.
  async load(project) {
    this.reset(project);
    const token = this.token;
    try {
      const alerts = await fetchAlerts({ project });
      if (token === this.token) this.set(alerts);
    } catch (error) {
      if (token === this.token) this.error = error;
    }
  }

  async refreshRuns(ids) {
    if (!ids.length || !this.project) return;
    const token = this.token;
    // Past a few dozen runs, their ids would make a long URL: read every run's instead;
    // likewise after the first read failed, so the list is whole again.
    const every = ids.length > MAX_RUNS_PER_QUERY || this.error != null;
    let fresh;
    try {
      fresh = await fetchAlerts({ project: this.project, runs: every ? null : ids });
    } catch {
      return; // The next change of these runs reads them again; the poll reports the outage.
    }
    if (token !== this.token) return;
    const failed = this.error != null;
    this.error = null;
    const changed = every ? new Set(this.list.map((alert) => alert.run_id).concat(ids)) : new Set(ids);
    const before = this.list.filter((alert) => changed.has(alert.run_id));
    if (sameAlerts(before, fresh) && !failed) return;
    // Stable: one run's alerts keep the server's order among equal times.
    this.set([...this.list.filter((alert) => !changed.has(alert.run_id)), ...fresh].sort(byTimeDesc));
    emit("alerts");
  }

  /** Forget the alerts of runs the server no longer has. */
  keepRuns(ids) {
    const kept = new Set(ids);
    if (this.list.every((alert) => kept.has(alert.run_id))) return;
    this.set(this.list.filter((alert) => kept.has(alert.run_id)));
    emit("alerts");
  }

  set(list) {
    this.list = list;
    this.byRun = new Map();
    for (const alert of list) {
      if (!this.byRun.has(alert.run_id)) this.byRun.set(alert.run_id, []);
      this.byRun.get(alert.run_id).push(alert);
    }
  }

  /** A run's alerts, newest first (empty when it raised none). */
  ofRun(id) {
    return this.byRun.get(id) ?? [];
  }
}

function sameAlerts(a, b) {
  if (a.length !== b.length) return false;
  const key = (alert) => `${alert.run_id}\u0000${alert.time}\u0000${alert.level}\u0000${alert.title}\u0000${alert.text}`;
  return a.every((alert, i) => key(alert) === key(b[i]));
}

export const alerts = new AlertStore();
