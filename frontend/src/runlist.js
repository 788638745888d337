import { el, clear } from "./dom.js";
import { alertBadge } from "./alerts.js";
import { flatConfig } from "./config.js";
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
  const value = flatConfig(run).get(state.groupBy.slice("config:".length));
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
    for (const [key, value] of flatConfig(run)) {
      if (value === null || typeof value !== "object") keys.add(key);
    }
  }
  return [...keys].sort();
}

// Past this many rows the list keeps only those in view in the page.
const WINDOWED_AFTER = 300;
const OVERSCAN = 20;

export class RunList {
  constructor() {
    this.collapsedGroups = new Set();
    this.rows = [];
    this.windowed = false;
    this.heights = { run: 28, group: 30 };
    this.measured = new Set();
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
    let frame = 0;
    this.list.addEventListener("scroll", () => {
      if (!this.windowed) return;
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => this.paintWindow());
    });
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
    for (const item of this.list.querySelectorAll(".focused")) item.classList.remove("focused");
    const index = this.rows.findIndex((row) =>
      run ? row.run === run : this.focusedGroup != null && row.group === this.focusedGroup,
    );
    // What the windowed list repaints from, and what `showPinned` has shown already.
    this.pinned = pinnedRun();
    this.shownPin = this.pinned;
    if (index < 0) return;
    if (this.windowed) this.reveal(index);
    const row = this.list.querySelector(`[data-row="${index}"]`);
    if (!row) return;
    row.classList.add("focused");
    row.scrollIntoView({ block: "nearest" });
  }

  renderRun(run, index) {
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
        class: `run-item${state.groupBy ? " in-group" : ""}${state.selected.has(run.id) ? "" : " off"}${this.pinned === run ? " focused" : ""}`,
        "data-testid": "run-item",
        dataset: { runId: run.id, runName: run.name, row: index },
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

  renderGroup({ group: key, ids }, index) {
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
    return el(
      "li",
      {
        class: `run-group${this.focusedGroup === key ? " focused" : ""}`,
        "data-testid": "run-group",
        dataset: { groupKey: key, groupIds: JSON.stringify(ids), row: index },
      },
      toggle,
      el(
        "label",
        {},
        box,
        // The colour of the group's line in the charts (drawn while "Group lines" is on).
        this.groupColors ? el("span", { class: "swatch", style: { background: this.groupColors.get(key) } }) : null,
        el("span", { class: "group-name", text: key }),
        el("span", { class: "group-count", text: String(ids.length) }),
      ),
    );
  }

  renderRow(row, index) {
    return row.run ? this.renderRun(row.run, index) : this.renderGroup(row, index);
  }

  // Collapsed groups keep their header row alone.
  listRows(runs) {
    if (!state.groupBy) return runs.map((run) => ({ run }));
    const groups = new Map();
    for (const run of runs) {
      const key = groupKey(run);
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(run);
    }
    const rows = [];
    for (const [key, members] of groups) {
      rows.push({ group: key, ids: members.map((run) => run.id) });
      if (!this.collapsedGroups.has(key)) for (const run of members) rows.push({ run });
    }
    return rows;
  }

  render() {
    this.pinned = pinnedRun();
    this.renderGroupOptions();
    this.top.render();
    const runs = filteredRuns();
    this.count.textContent = `${selectedRuns().length} / ${state.runs.length} shown`;
    this.groupColors = state.groupBy && state.groupLines ? groupColors() : null;
    this.rows = this.listRows(runs);
    this.windowed = this.rows.length > WINDOWED_AFTER;
    this.painted = null;
    const scroll = this.list.scrollTop;
    if (this.windowed) {
      this.paintWindow();
    } else {
      const items = this.rows.map((row, index) => this.renderRow(row, index));
      if (!runs.length) {
        items.push(el("li", { class: "empty", text: state.runs.length ? "No run matches the filter." : "No runs yet." }));
      }
      this.list.replaceChildren(...items);
    }
    this.list.scrollTop = scroll;
    this.showPinned();
  }

  // A run pinned by a link (`highlight=`) is scrolled into view once: in a windowed
  // list its row is not even in the page until then.
  showPinned() {
    if (!this.pinned || this.pinned === this.shownPin) return;
    const index = this.rows.findIndex((row) => row.run === this.pinned);
    if (index < 0) return;
    this.shownPin = this.pinned;
    if (this.windowed) this.reveal(index);
    this.list.querySelector(`[data-row="${index}"]`)?.scrollIntoView({ block: "nearest" });
  }

  // Rows are of two heights (a run's, a group header's), measured, not assumed.
  rowTops() {
    const tops = new Array(this.rows.length + 1);
    tops[0] = 0;
    for (let i = 0; i < this.rows.length; i++) {
      tops[i + 1] = tops[i] + (this.rows[i].run ? this.heights.run : this.heights.group);
    }
    return tops;
  }

  // A sweep's thousand rows are not all in the page: those in view and a few around
  // them are, between two spacers as tall as the rows left out.
  paintWindow() {
    const tops = this.rowTops();
    const { scrollTop, clientHeight } = this.list;
    const view = clientHeight || 800;
    let first = 0;
    while (first < this.rows.length && tops[first + 1] <= scrollTop) first++;
    let last = first;
    while (last < this.rows.length && tops[last] < scrollTop + view) last++;
    const start = Math.max(0, first - OVERSCAN);
    const end = Math.min(this.rows.length, last + OVERSCAN);
    if (this.painted && this.painted[0] === start && this.painted[1] === end) return;
    this.painted = [start, end];
    const spacer = (height) => el("li", { class: "run-spacer", "aria-hidden": "true", style: { height: `${height}px` } });
    const items = [];
    for (let i = start; i < end; i++) items.push(this.renderRow(this.rows[i], i));
    this.list.replaceChildren(spacer(tops[start]), ...items, spacer(tops[this.rows.length] - tops[end]));
    this.list.scrollTop = scrollTop;
    if (this.measured.size < 2) this.measure(items);
  }

  // Row heights follow the page's fonts and styles: taken from the first rows drawn
  // of each kind (margins included: a group header has one above it).
  measure(items) {
    const outer = (item) => {
      const style = getComputedStyle(item);
      return item.offsetHeight + parseFloat(style.marginTop) + parseFloat(style.marginBottom);
    };
    let changed = false;
    for (const kind of ["run", "group"]) {
      if (this.measured.has(kind)) continue;
      const item = items.find((row) => (kind === "run" ? row.dataset.runId : row.dataset.groupKey != null));
      if (!item || !item.offsetHeight) continue;
      this.measured.add(kind);
      const height = outer(item);
      if (height !== this.heights[kind]) {
        this.heights[kind] = height;
        changed = true;
      }
    }
    if (!changed) return;
    this.painted = null;
    this.paintWindow();
  }

  // Centred when out of view: a row at the very edge reads as cut off.
  reveal(index) {
    const tops = this.rowTops();
    const { scrollTop, clientHeight } = this.list;
    if (tops[index] < scrollTop || tops[index + 1] > scrollTop + clientHeight) {
      this.list.scrollTop = Math.max(0, tops[index] - clientHeight / 2);
    }
    this.paintWindow();
  }
}
