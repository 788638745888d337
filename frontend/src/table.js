import { el } from "./dom.js";
import { formatCell, formatTime } from "./format.js";
import { setSelected, state } from "./state.js";
import { filteredRuns } from "./runlist.js";

const PAGE_SIZE = 50;

function compare(a, b) {
  if (a == null && b == null) return 0;
  if (a == null) return 1;
  if (b == null) return -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(formatCell(a)).localeCompare(String(formatCell(b)), undefined, { numeric: true });
}

function scalarKeys(runs, field) {
  const keys = new Set();
  for (const run of runs) {
    for (const [key, value] of Object.entries(run[field] || {})) {
      if (value === null || typeof value !== "object" || Array.isArray(value)) keys.add(key);
    }
  }
  return [...keys].sort();
}

export class RunsTable {
  constructor() {
    this.sort = { key: "created", dir: 1 };
    this.page = 0;
    this.info = el("span", { class: "table-info" });
    this.prev = el("button", { type: "button", text: "‹ Prev", onclick: () => this.turn(-1) });
    this.next = el("button", { type: "button", text: "Next ›", onclick: () => this.turn(1) });
    this.table = el("table", { class: "runs-table", "data-testid": "runs-table" });
    this.root = el(
      "div",
      { class: "table-view" },
      el("div", { class: "table-scroll" }, this.table),
      el("div", { class: "table-pager" }, this.prev, this.info, this.next),
    );
    this.table.addEventListener("change", (event) => {
      const id = event.target.dataset.runId;
      if (id) setSelected([id], event.target.checked);
    });
  }

  turn(delta) {
    this.page += delta;
    this.render();
  }

  columns() {
    const runs = state.runs;
    const columns = [
      { key: "name", label: "Name", get: (run) => run.name },
      { key: "status", label: "Status", get: (run) => run.status },
      { key: "group", label: "Group", get: (run) => run.group },
      { key: "created", label: "Created", get: (run) => run.created_at, format: formatTime },
      { key: "last_step", label: "Last step", get: (run) => run.last_step },
    ];
    for (const key of scalarKeys(runs, "config")) {
      columns.push({ key: `config:${key}`, label: key, kind: "config", get: (run) => run.config?.[key] });
    }
    for (const key of scalarKeys(runs, "summary")) {
      columns.push({ key: `summary:${key}`, label: key, kind: "summary", get: (run) => run.summary?.[key] });
    }
    return columns;
  }

  render() {
    const columns = this.columns();
    const column = columns.find((c) => c.key === this.sort.key) || columns[3];
    const rows = filteredRuns().slice();
    rows.sort((a, b) => this.sort.dir * compare(column.get(a), column.get(b)));
    const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
    this.page = Math.min(Math.max(this.page, 0), pages - 1);
    const visible = rows.slice(this.page * PAGE_SIZE, (this.page + 1) * PAGE_SIZE);

    const groupRow = el("tr", { class: "column-groups" }, el("th", { colspan: "6", text: "Run" }));
    const configCount = columns.filter((c) => c.kind === "config").length;
    const summaryCount = columns.filter((c) => c.kind === "summary").length;
    if (configCount) groupRow.append(el("th", { colspan: String(configCount), class: "group-config", text: "Config" }));
    if (summaryCount) groupRow.append(el("th", { colspan: String(summaryCount), class: "group-summary", text: "Summary" }));

    const head = el("tr", {}, el("th", { class: "select-col" }));
    for (const c of columns) {
      const active = c.key === column.key;
      head.append(
        el(
          "th",
          { class: c.kind || "", "aria-sort": active ? (this.sort.dir > 0 ? "ascending" : "descending") : "none" },
          el("button", {
            type: "button",
            class: "sort",
            text: `${c.label}${active ? (this.sort.dir > 0 ? " ▲" : " ▼") : ""}`,
            title: c.kind ? `${c.kind}.${c.label}` : c.label,
            onclick: () => {
              this.sort = { key: c.key, dir: c.key === this.sort.key ? -this.sort.dir : 1 };
              this.render();
            },
          }),
        ),
      );
    }
    const body = el("tbody");
    for (const run of visible) {
      const row = el(
        "tr",
        { dataset: { runId: run.id } },
        el(
          "td",
          { class: "select-col" },
          el(
            "div",
            { class: "select-cell" },
            el("input", {
              type: "checkbox",
              checked: state.selected.has(run.id),
              "aria-label": `Show ${run.name}`,
              dataset: { runId: run.id },
            }),
            el("span", { class: "swatch", style: { background: run.color } }),
          ),
        ),
      );
      for (const c of columns) {
        const value = c.get(run);
        const text = c.format ? c.format(value) : formatCell(value);
        row.append(el("td", { class: `${c.kind || c.key}${typeof value === "number" ? " num" : ""}`, text, title: text }));
      }
      body.append(row);
    }
    if (!visible.length) {
      body.append(el("tr", {}, el("td", { colspan: String(columns.length + 1), class: "empty", text: "No runs." })));
    }
    this.table.replaceChildren(el("thead", {}, groupRow, head), body);
    this.info.textContent = `${rows.length} runs · page ${this.page + 1} of ${pages}`;
    this.prev.disabled = this.page === 0;
    this.next.disabled = this.page >= pages - 1;
  }
}
