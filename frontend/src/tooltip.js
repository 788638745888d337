import { el, clear } from "./dom.js";
import { formatNumber } from "./format.js";
import { withUnit } from "./system.js";

let node = null;

function ensureNode() {
  if (!node) {
    node = el("div", { class: "tooltip", role: "tooltip", "data-testid": "tooltip" });
    document.body.append(node);
  }
  return node;
}

// With many runs the line under the cursor is hard to find among the rows: its run is
// named again under the title.
export function showTooltip({ title, rows, clientX, clientY, unit = "" }) {
  const format = (value) => withUnit(formatNumber(value), unit);
  const tip = ensureNode();
  clear(tip);
  tip.append(el("div", { class: "tooltip-title", text: title }));
  const nearest = rows.find((row) => row.nearest);
  if (nearest) {
    tip.append(
      el(
        "div",
        { class: "tooltip-nearest", "data-testid": "tooltip-nearest" },
        el("span", { class: "swatch", style: { background: nearest.color } }),
        el("span", { class: "tooltip-name", text: nearest.name }),
        el("span", { class: "tooltip-value", text: format(nearest.value) }),
      ),
    );
  }
  const list = el("div", { class: rows.length > 14 ? "tooltip-rows many" : "tooltip-rows" });
  for (const row of rows) {
    list.append(
      el(
        "div",
        { class: row.nearest ? "tooltip-row nearest" : "tooltip-row" },
        el("span", { class: "swatch", style: { background: row.color } }),
        el("span", { class: "tooltip-name", text: row.name }),
        el("span", { class: "tooltip-value", text: format(row.value) }),
        row.raw !== undefined ? el("span", { class: "tooltip-raw", text: format(row.raw) }) : null,
      ),
    );
  }
  if (!rows.length) list.append(el("div", { class: "tooltip-empty", text: "no run has a value here" }));
  tip.append(list);
  tip.style.display = "block";
  const { innerWidth, innerHeight } = window;
  const rect = tip.getBoundingClientRect();
  let left = clientX + 16;
  if (left + rect.width > innerWidth - 8) left = Math.max(8, clientX - rect.width - 16);
  let top = clientY + 12;
  if (top + rect.height > innerHeight - 8) top = Math.max(8, innerHeight - rect.height - 8);
  tip.style.transform = `translate(${Math.round(left)}px, ${Math.round(top)}px)`;
}

export function hideTooltip() {
  if (node) node.style.display = "none";
}
