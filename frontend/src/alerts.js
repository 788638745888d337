import { el } from "./dom.js";
import { formatNumber, formatTime } from "./format.js";
import { LEVELS, alerts, gravest, levelRank } from "./alertdata.js";
import { emit, selectedRuns, state } from "./state.js";

// Past this many rows the list says how many it leaves out: a run raising an alert
// every step must not make the page build a table of millions of rows.
const MAX_ROWS = 500;
const FILTERS = [
  ["INFO", "All"],
  ["WARN", "Warn+"],
  ["ERROR", "Error"],
];

const plural = (count, word) => `${count} ${word}${count === 1 ? "" : "s"}`;

// The time of day, with the date when it is not today (the full stamp is its tooltip).
function shortTime(seconds) {
  const date = new Date(seconds * 1000);
  const now = new Date();
  const time = date.toLocaleTimeString(undefined, { hour: "numeric", minute: "2-digit", second: "2-digit" });
  if (date.toDateString() === now.toDateString()) return time;
  const day = { month: "short", day: "numeric" };
  if (date.getFullYear() !== now.getFullYear()) day.year = "numeric";
  return `${date.toLocaleDateString(undefined, day)}, ${time}`;
}

function levelPill(level) {
  return el("span", { class: `alert-level level-${level.toLowerCase()}`, text: level });
}

/** The badge of a run that raised alerts (null for one that raised none): their count,
 * coloured by the gravest; its tooltip names the latest. Clicking it opens the list. */
export function alertBadge(run) {
  const raised = alerts.ofRun(run.id);
  if (!raised.length) return null;
  const level = gravest(raised.map((alert) => alert.level));
  const counts = LEVELS.slice()
    .reverse()
    .map((name) => [name, raised.filter((alert) => alert.level === name).length])
    .filter(([, count]) => count)
    .map(([name, count]) => `${count} ${name}`);
  const latest = raised[0];
  const tooltip = `${plural(raised.length, "alert")} (${counts.join(", ")})\nLatest: [${latest.level}] ${latest.title}`;
  return el("button", {
    type: "button",
    class: `alert-badge level-${level.toLowerCase()}`,
    text: String(raised.length),
    title: tooltip,
    "aria-label": `${plural(raised.length, "alert")}, gravest ${level}: show alerts`,
    "data-testid": "alert-badge",
    dataset: { level },
    onclick: (event) => {
      // Inside the run's label: the click opens the list, it does not tick the run.
      event.preventDefault();
      emit("showAlerts", run.id);
    },
  });
}

/** The Alerts view: the project's alerts of the runs shown, newest first, at the
 * level chosen or graver; its level filter goes in the toolbar, its count in the tab. */
export class AlertsView {
  constructor() {
    this.minLevel = "INFO";
    this.buttons = FILTERS.map(([level, label]) =>
      el("button", {
        type: "button",
        class: "segment",
        text: label,
        "aria-pressed": String(level === this.minLevel),
        "data-testid": `alert-level-${label.toLowerCase().replace("+", "-up")}`,
        onclick: () => this.setLevel(level),
      }),
    );
    this.info = el("span", { class: "alerts-info", "data-testid": "alerts-info" });
    this.controls = el(
      "div",
      { class: "chart-controls", hidden: true },
      el("div", { class: "segmented", role: "group", "aria-label": "Alert level" }, ...this.buttons),
      this.info,
    );
    this.tabCount = el("span", { class: "tab-count", hidden: true, "data-testid": "alerts-tab-count" });
    this.message = el("p", { class: "empty", hidden: true, "data-testid": "alerts-empty" });
    this.table = el("table", { class: "alerts-table", "data-testid": "alerts-table" });
    this.more = el("p", { class: "alerts-more", hidden: true, "data-testid": "alerts-more" });
    this.root = el(
      "div",
      { class: "alerts-view", "data-testid": "alerts-view", hidden: true },
      this.message,
      el("div", { class: "alerts-scroll" }, this.table),
      this.more,
    );
  }

  setLevel(level) {
    this.minLevel = level;
    FILTERS.forEach(([value], i) => this.buttons[i].setAttribute("aria-pressed", String(value === level)));
    this.render();
  }

  // The tab's count is of the whole project, so an alert of a run not shown still shows.
  renderTab() {
    const count = alerts.list.length;
    this.tabCount.hidden = count === 0;
    this.tabCount.textContent = String(count);
    const level = gravest(alerts.list.map((alert) => alert.level));
    this.tabCount.className = `tab-count${level ? ` level-${level.toLowerCase()}` : ""}`;
    this.tabCount.title = count ? `${plural(count, "alert")} in this project, gravest ${level}` : "";
  }

  render() {
    this.renderTab();
    if (this.root.hidden) return;
    const shown = new Set(selectedRuns().map((run) => run.id));
    const minRank = levelRank(this.minLevel);
    const atLevel = alerts.list.filter((alert) => levelRank(alert.level) >= minRank);
    const rows = atLevel.filter((alert) => shown.has(alert.run_id));
    const hidden = atLevel.length - rows.length;
    this.info.textContent = alerts.list.length ? `${rows.length} of ${plural(alerts.list.length, "alert")}` : "";
    const emptyText = alerts.error
      ? `No alerts: they could not be read (${alerts.error.message}).`
      : !alerts.list.length
        ? "No alerts."
        : !atLevel.length
          ? `No alerts at ${this.minLevel} or graver.`
          : "No alerts in the runs shown.";
    this.message.textContent = emptyText;
    this.message.hidden = rows.length > 0;
    this.table.hidden = rows.length === 0;
    const notes = [];
    if (rows.length > MAX_ROWS) notes.push(`Showing the newest ${MAX_ROWS} of ${rows.length}.`);
    if (hidden) notes.push(`${plural(hidden, "more alert")} in runs not shown (tick them in the runs list).`);
    this.more.textContent = notes.join(" ");
    this.more.hidden = notes.length === 0;
    const head = el(
      "tr",
      {},
      ...["Time", "Level", "Run", "Step", "Alert"].map((label) => el("th", { text: label })),
    );
    const body = el("tbody", {}, ...rows.slice(0, MAX_ROWS).map((alert) => this.renderRow(alert)));
    this.table.replaceChildren(el("thead", {}, head), body);
  }

  renderRow(alert) {
    const run = state.runById.get(alert.run_id);
    const name = run?.name ?? alert.run;
    return el(
      "tr",
      { "data-testid": "alert-row", dataset: { runId: alert.run_id, level: alert.level } },
      el("td", { class: "alert-time", text: shortTime(alert.time), title: formatTime(alert.time) }),
      el("td", {}, levelPill(alert.level)),
      el(
        "td",
        { title: name },
        el(
          "div",
          { class: "alert-run" },
          el("span", { class: "swatch", style: { background: run?.color ?? "transparent" } }),
          el("span", { class: "alert-run-name", text: name }),
        ),
      ),
      el("td", { class: "num alert-step", text: alert.step == null ? "" : formatNumber(alert.step) }),
      el(
        "td",
        { class: "alert-body" },
        el("div", { class: "alert-title", text: alert.title }),
        alert.text ? el("div", { class: "alert-text", text: alert.text }) : null,
      ),
    );
  }
}
