import { clear, el } from "./dom.js";
import { filteredRuns, setSelected, state } from "./state.js";

// "Top N by metric": select the best runs of a sweep in one step, by a numeric
// summary value (the run's last value by default), lowest or highest first.
function summaryMetrics() {
  const names = new Set();
  for (const run of state.runs) {
    for (const [key, value] of Object.entries(run.summary || {})) {
      if (typeof value === "number" && Number.isFinite(value)) names.add(key);
    }
  }
  return [...names].sort();
}

export function topRuns(runs, metric, count, lowestFirst) {
  const ranked = runs
    .map((run) => [run, run.summary?.[metric]])
    .filter(([, value]) => typeof value === "number" && Number.isFinite(value));
  ranked.sort((a, b) => (lowestFirst ? a[1] - b[1] : b[1] - a[1]));
  return ranked.slice(0, count).map(([run]) => run);
}

export class TopRuns {
  constructor() {
    this.count = el("input", {
      type: "number",
      min: "1",
      value: "10",
      class: "top-count",
      "aria-label": "How many runs",
      "data-testid": "top-count",
    });
    this.metric = el("select", { class: "top-metric", "aria-label": "By metric", "data-testid": "top-metric" });
    this.order = el(
      "select",
      { class: "top-order", "aria-label": "Which end", "data-testid": "top-order" },
      el("option", { value: "lowest", text: "lowest" }),
      el("option", { value: "highest", text: "highest" }),
    );
    this.button = el("button", {
      type: "button",
      text: "Select",
      title: "Show only these runs (of those the filter matches)",
      "data-testid": "top-select",
      onclick: () => this.select(),
    });
    this.root = el(
      "div",
      { class: "top-runs", "data-testid": "top-runs" },
      el("span", { text: "Top" }),
      this.count,
      el("span", { text: "by" }),
      this.metric,
      this.order,
      this.button,
    );
  }

  render() {
    const names = summaryMetrics();
    const signature = names.join("\u0000");
    this.root.hidden = !names.length;
    if (signature === this.signature) return;
    this.signature = signature;
    const chosen = this.metric.value;
    clear(this.metric);
    for (const name of names) this.metric.append(el("option", { value: name, text: name }));
    if (names.includes(chosen)) this.metric.value = chosen;
    else if (names.some((name) => /loss/i.test(name))) this.metric.value = names.find((name) => /loss/i.test(name));
  }

  select() {
    const count = Math.max(1, Number.parseInt(this.count.value, 10) || 1);
    const candidates = filteredRuns();
    const best = topRuns(candidates, this.metric.value, count, this.order.value === "lowest");
    const keep = new Set(best.map((run) => run.id));
    setSelected(
      candidates.filter((run) => !keep.has(run.id)).map((run) => run.id),
      false,
    );
    setSelected([...keep], true);
  }
}
