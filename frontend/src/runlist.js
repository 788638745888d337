import { el, clear } from "./dom.js";
import { alertBadge } from "./alerts.js";
import { formatCell } from "./format.js";
import { TopRuns } from "./topruns.js";
import { colorAt } from "./colors.js";
import { hoverRuns, onFocus, pinnedRun } from "./highlight.js";
import { emit, filteredRuns, selectedRuns, setSelected, state, writeUrl } from "./state.js";

/** The group `run` falls in under `state.groupBy` (null when ungrouped): the runs list
 * and the grouped charts group by this one function. */
export function groupKey(run) {
  if (!state.groupBy) return null;
  if (state.groupBy === "group") return run.group ?? "(no group)";
  const key = state.groupBy.slice("config:".length);
  const value = run.config?.[key];
  return value === undefined ? "(unset)" : formatCell(value);
}

/** A group as a chart's legend names it: "lr=0.01" under a config key, the group's
 * name under run groups. */
export function groupLabel(key) {
  return state.groupBy.startsWith("config:") ? `${state.groupBy.slice("config:".length)}=${key}` : key;
}

/** Each group's colour: the palette in the order groups first appear among all runs,
 * so ticking runs on and off never recolours a group. */
export function groupColors() {
  const colors = new Map();
  for (const run of state.runs) {
    const key = groupKey(run);
    if (!colors.has(key)) colors.set(key, colorAt(colors.size));
  }
  return colors;
}

export { filteredRuns };

function configKeys() {
  const keys = new Set();
  for (const run of state.runs) {
    for (const [key, value] of Object.entries(run.config || {})) {
      if (value === null || typeof value !== "object") keys.add(key);
    }
  }
  return [...keys].sort();
}

export class RunList {
  constructor() {
    this.collapsedGroups = new Set();
    this.search = el("input", {
      type: "search",
      class: "run-search",
      placeholder: "Filter runs (regex)",
      "aria-label": "Filter runs",
      "data-testid": "run-search",
      oninput: () => {
        state.runFilter = this.search.value;
        this.render();
        emit("runFilter");
      },
    });
    this.groupBy = el("select", {
      class: "group-by",
      "aria-label": "Group runs by",
      "data-testid": "group-by",
      onchange: () => {
        state.groupBy = this.groupBy.value;
        writeUrl();
        this.render();
        emit("groupBy");
      },
    });
    this.count = el("span", { class: "run-count" });
    this.top = new TopRuns();
    this.list = el("ul", { class: "run-list", "data-testid": "run-list" });
    const selectAll = el("button", {
      type: "button",
      text: "All",
      title: "Select every run that matches the filter",
      "data-testid": "select-all",
      onclick: () => setSelected(filteredRuns().map((run) => run.id), true),
    });
    const deselectAll = el("button", {
      type: "button",
      text: "None",
      title: "Deselect every run that matches the filter",
      "data-testid": "deselect-all",
      onclick: () => setSelected(filteredRuns().map((run) => run.id), false),
    });
    this.root = el(
      "div",
      { class: "runs-panel" },
      el("div", { class: "runs-panel-head" }, el("h2", { text: "Runs" }), this.count),
      this.search,
      el(
        "div",
        { class: "runs-actions" },
        selectAll,
        deselectAll,
        el("label", { class: "group-by-label" }, el("span", { text: "Group" }), this.groupBy),
      ),
      this.top.root,
      this.list,
    );
    this.list.addEventListener("mouseover", (event) => this.onHover(event));
    this.list.addEventListener("mouseleave", () => hoverRuns(null));
    onFocus((target) => this.focus(target));
    this.list.addEventListener("change", (event) => {
      const box = event.target;
      if (box.dataset.runId) setSelected([box.dataset.runId], box.checked);
      else if (box.dataset.groupIds) setSelected(JSON.parse(box.dataset.groupIds), box.checked);
    });
  }

  renderGroupOptions() {
    const options = [["", "none"], ["group", "run group"]];
    for (const key of configKeys()) options.push([`config:${key}`, `config: ${key}`]);
    const signature = options.map(([value]) => value).join("\u0000");
    if (signature === this.groupSignature) return;
    this.groupSignature = signature;
    clear(this.groupBy);
    for (const [value, label] of options) this.groupBy.append(el("option", { value, text: label }));
    if (!options.some(([value]) => value === state.groupBy)) {
      state.groupBy = "";
      emit("groupBy");
    }
    this.groupBy.value = state.groupBy;
  }

  onHover(event) {
    const row = event.target.closest?.("[data-testid=run-item], .run-group");
    if (!row) return;
    if (row.dataset.runId) hoverRuns([row.dataset.runId]);
    else hoverRuns(JSON.parse(row.dataset.groupIds));
  }

  // A click on a chart's line: its row (or its group's) is shown and marked.
  focus(target) {
    this.focusedGroup = target?.group ?? null;
    const run = target?.run;
    if (run && state.groupBy) {
      const key = groupKey(run);
      if (this.collapsedGroups.delete(key)) this.render();
    }
    let row = null;
    for (const item of this.list.querySelectorAll(".focused")) item.classList.remove("focused");
    if (run) row = this.list.querySelector(`[data-testid=run-item][data-run-id="${CSS.escape(run.id)}"]`);
    else if (this.focusedGroup != null) {
      row = [...this.list.querySelectorAll(".run-group")].find((item) => item.dataset.groupKey === this.focusedGroup);
    }
    if (!row) return;
    row.classList.add("focused");
    row.scrollIntoView({ block: "nearest" });
  }

  renderRun(run) {
    const checkbox = el("input", {
      type: "checkbox",
      checked: state.selected.has(run.id),
      "aria-label": `Show ${run.name}`,
      "data-testid": "run-checkbox",
      dataset: { runId: run.id },
    });
    return el(
      "li",
      {
        class: `run-item${state.selected.has(run.id) ? "" : " off"}${this.pinned === run ? " focused" : ""}`,
        "data-testid": "run-item",
        dataset: { runId: run.id, runName: run.name },
      },
      el(
        "label",
        { title: run.name },
        checkbox,
        el("span", { class: "swatch", style: { background: run.color } }),
        el("span", { class: "run-name", text: run.name }),
        alertBadge(run),
        el("span", { class: `run-status ${run.status}`, title: run.status, text: run.status === "running" ? "●" : "" }),
      ),
    );
  }

  render() {
    this.pinned = pinnedRun();
    this.renderGroupOptions();
    this.top.render();
    const runs = filteredRuns();
    this.count.textContent = `${selectedRuns().length} / ${state.runs.length} shown`;
    const scroll = this.list.scrollTop;
    const items = [];
    if (!state.groupBy) {
      for (const run of runs) items.push(this.renderRun(run));
    } else {
      const groups = new Map();
      const colors = state.groupLines ? groupColors() : null;
      for (const run of runs) {
        const key = groupKey(run);
        if (!groups.has(key)) groups.set(key, []);
        groups.get(key).push(run);
      }
      for (const [key, members] of groups) {
        const ids = members.map((run) => run.id);
        const on = ids.filter((id) => state.selected.has(id)).length;
        const box = el("input", {
          type: "checkbox",
          checked: on === ids.length,
          indeterminate: on > 0 && on < ids.length,
          "aria-label": `Show group ${key}`,
          dataset: { groupIds: JSON.stringify(ids) },
        });
        const collapsed = this.collapsedGroups.has(key);
        const toggle = el("button", {
          type: "button",
          class: "group-toggle",
          "aria-expanded": String(!collapsed),
          text: collapsed ? "▸" : "▾",
          onclick: () => {
            if (this.collapsedGroups.has(key)) this.collapsedGroups.delete(key);
            else this.collapsedGroups.add(key);
            this.render();
          },
        });
        items.push(
          el(
            "li",
            {
              class: `run-group${this.focusedGroup === key ? " focused" : ""}`,
              "data-testid": "run-group",
              dataset: { groupKey: key, groupIds: JSON.stringify(ids) },
            },
            toggle,
            el(
              "label",
              {},
              box,
              // The colour of the group's line in the charts (drawn while "Group lines" is on).
              colors ? el("span", { class: "swatch", style: { background: colors.get(key) } }) : null,
              el("span", { class: "group-name", text: key }),
              el("span", { class: "group-count", text: String(ids.length) }),
            ),
          ),
        );
        if (!collapsed) for (const run of members) items.push(this.renderRun(run));
      }
    }
    if (!runs.length) {
      items.push(el("li", { class: "empty", text: state.runs.length ? "No run matches the filter." : "No runs yet." }));
    }
    this.list.replaceChildren(...items);
    this.list.scrollTop = scroll;
  }
}
