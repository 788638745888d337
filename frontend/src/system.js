// System metrics (CPU, memory, disk, network, GPUs) are stored as `system/<name>` series
// whose steps are wall-time milliseconds (trackio/system/names.py): the System section
// charts them against time, whatever the training charts use.

export const SYSTEM_PREFIX = "system/";
export const SYSTEM_SECTION = "system";

/** The name a system metric is shown by: the PyPI trackio's, without `system/`. */
export function shownName(stored) {
  return stored.startsWith(SYSTEM_PREFIX) ? stored.slice(SYSTEM_PREFIX.length) : stored;
}

/** The x axis of the System section: wall time when the training charts use it, else
 * time since each run started (a step or another metric means nothing to a sampler). */
export function systemX(x) {
  return x === "time" ? "time" : "relative";
}

// Only the names trackio's own probes (and the PyPI trackio's) give a unit to: a name
// logged by hand with log_system() may be in any unit, and says none.
const UNITS = [
  [/(^|\/|_)(utilization|percent)$/, "%"],
  [/_mb_per_sec$/, "MB/s"],
  [/^(memory\/used|process\/rss|gpu\/(\d+\/)?(allocated|total)_memory|gpu\/total_allocated_memory)$/, "GB"],
  [/^gpu\/(\d+\/power|total_power)$/, "W"],
  [/^gpu\/(\d+\/temp|max_temp)$/, "°C"],
];

/** The unit of a system metric by its shown name, or "" when it is not known. */
export function systemUnit(shown) {
  for (const [pattern, unit] of UNITS) if (pattern.test(shown)) return unit;
  return "";
}

/** `value` (already formatted) with its unit: "42%", "1.5 GB". */
export function withUnit(text, unit) {
  if (!unit || text === "–") return text;
  return unit === "%" ? `${text}%` : `${text} ${unit}`;
}

// A GPU's metrics are a group of their own (`gpu/0`, `gpu/1`); the machine's by their
// first part (`cpu`, `memory`, `disk`).
function groupOf(shown) {
  const parts = shown.split("/");
  return parts[0] === "gpu" && /^\d+$/.test(parts[1] ?? "") ? `gpu/${parts[1]}` : parts[0];
}

/** Stored names in first-logged order, each group's kept together where it first came. */
export function orderSystemMetrics(stored) {
  const rank = new Map();
  for (const name of stored) {
    const group = groupOf(shownName(name));
    if (!rank.has(group)) rank.set(group, rank.size);
  }
  return stored
    .map((name, index) => ({ name, index, group: rank.get(groupOf(shownName(name))) }))
    .sort((a, b) => a.group - b.group || a.index - b.index)
    .map((item) => item.name);
}
