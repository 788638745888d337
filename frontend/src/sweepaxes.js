// The Sweep view's axes: a config key or a numeric summary metric, with its scale over
// every run of the project, its ticks and its brushes.
import { flatConfig } from "./config.js";
import { formatTick, niceTicks } from "./format.js";

const collator = new Intl.Collator(undefined, { numeric: true });

const clean = (value) => Number(value.toPrecision(12));

function logTicks(lo, hi, target) {
  const first = Math.ceil(Math.log10(lo) - 1e-9);
  const last = Math.floor(Math.log10(hi) + 1e-9);
  let values = [];
  for (let e = first; e <= last; e++) values.push(Number(`1e${e}`));
  if (values.length < 3) {
    values = [];
    for (let e = first - 1; e <= last; e++) {
      for (const m of [1, 2, 5]) {
        const value = Number(`${m}e${e}`);
        if (value >= lo * (1 - 1e-9) && value <= hi * (1 + 1e-9)) values.push(value);
      }
    }
  }
  if (values.length > target * 2) {
    const every = Math.ceil(values.length / target);
    values = values.filter((_, i) => i % every === 0);
  }
  return values.length >= 2 ? values : niceTicks(lo, hi, target);
}

/** One axis: a config key (numeric, or categorical for strings and booleans) or a
 * numeric summary metric, its scale over every run of the project, and its brushes. */
export class Axis {
  constructor(kind, name, info) {
    this.kind = kind;
    this.name = name;
    this.id = `${kind}:${name}`;
    this.type = info.numeric ? "numeric" : "categorical";
    this.varies = info.values.size > 1;
    this.log = false;
    if (this.type === "categorical") {
      this.categories = [...new Set([...info.values].map(String))].sort(collator.compare);
      this.index = new Map(this.categories.map((category, i) => [category, i]));
      return;
    }
    let { min: lo, max: hi } = info;
    if (!(hi > lo)) {
      const pad = Math.abs(lo) * 0.5 || 1;
      lo -= pad;
      hi += pad;
    }
    this.lo = lo;
    this.hi = hi;
    // Hyperparameters such as learning rates are searched over decades: their median
    // sits near the range's geometric middle, where a uniform one's (dropout from
    // 0.001 to 0.5) sits near its arithmetic middle.
    if (kind === "config" && lo > 0 && hi / lo >= 100) {
      const sorted = [...info.values].sort((a, b) => a - b);
      const median = Math.log(sorted[Math.floor(sorted.length / 2)]);
      this.log = Math.abs(median - Math.log(Math.sqrt(lo * hi))) < Math.abs(median - Math.log((lo + hi) / 2));
    }
    if (this.log) {
      this.logLo = Math.log(lo);
      this.logHi = Math.log(hi);
    }
  }

  value(run) {
    const raw = this.kind === "config" ? flatConfig(run).get(this.name) : run.summary?.[this.name];
    if (this.type === "numeric") return typeof raw === "number" && Number.isFinite(raw) ? raw : undefined;
    return raw == null || typeof raw === "object" ? undefined : String(raw);
  }

  /** Where `value` sits along the axis, 0 at the bottom to 1 at the top; NaN if nowhere. */
  position(value) {
    if (this.type === "categorical") {
      const i = this.index.get(value);
      return i === undefined ? NaN : (i + 0.5) / this.categories.length;
    }
    if (typeof value !== "number" || !Number.isFinite(value)) return NaN;
    if (this.log) return value > 0 ? (Math.log(value) - this.logLo) / (this.logHi - this.logLo) : NaN;
    return (value - this.lo) / (this.hi - this.lo);
  }

  valueAt(t) {
    if (this.log) return Math.exp(this.logLo + t * (this.logHi - this.logLo));
    return this.lo + t * (this.hi - this.lo);
  }

  ticks(length) {
    if (this.type === "categorical") {
      return this.categories.map((label, i) => ({ t: (i + 0.5) / this.categories.length, label }));
    }
    const target = Math.max(2, Math.floor(length / 48));
    const values = this.log
      ? logTicks(this.lo, this.hi, target)
      : niceTicks(this.lo, this.hi, target).filter((v) => v >= this.lo - 1e-12 && v <= this.hi + 1e-12);
    return values.map((value) => ({ t: this.position(value), label: formatTick(value) }));
  }

  // Outwards, to a few digits: a link's brush keeps every run the drag took in.
  roundOut(value, round) {
    if (this.log) {
      if (!(value > 0)) return value;
      const unit = 10 ** (Math.floor(Math.log10(value)) - 2);
      return clean(round(value / unit) * unit);
    }
    const unit = 10 ** (Math.floor(Math.log10(this.hi - this.lo)) - 3);
    return clean(round(value / unit) * unit);
  }

  /** The brush covering [t0, t1] of the axis: values, or the first and last category
   * it takes in (the nearest one when the drag fell between two). */
  brushOf(t0, t1) {
    if (this.type === "numeric") {
      return { lo: this.roundOut(this.valueAt(t0), Math.floor), hi: this.roundOut(this.valueAt(t1), Math.ceil) };
    }
    const n = this.categories.length;
    const inside = [];
    for (let i = 0; i < n; i++) if ((i + 0.5) / n >= t0 && (i + 0.5) / n <= t1) inside.push(i);
    if (!inside.length) inside.push(Math.min(n - 1, Math.max(0, Math.round(((t0 + t1) / 2) * n - 0.5))));
    return { lo: this.categories[inside[0]], hi: this.categories[inside[inside.length - 1]] };
  }

  parseBrush(lo, hi) {
    if (this.type === "numeric") {
      const a = Number(lo);
      const b = Number(hi);
      if (!Number.isFinite(a) || !Number.isFinite(b)) return null;
      return { lo: Math.min(a, b), hi: Math.max(a, b) };
    }
    const [a, b] = [String(lo), String(hi)];
    return collator.compare(a, b) <= 0 ? { lo: a, hi: b } : { lo: b, hi: a };
  }

  passes(brush, value) {
    if (value === undefined) return false;
    if (this.type === "numeric") return value >= brush.lo && value <= brush.hi;
    return collator.compare(brush.lo, value) <= 0 && collator.compare(value, brush.hi) <= 0;
  }

  brushSpan(brush) {
    if (this.type === "numeric") {
      const clamp = (t) => (Number.isFinite(t) ? Math.min(Math.max(t, 0), 1) : 0);
      return [clamp(this.position(brush.lo)), clamp(this.position(brush.hi))];
    }
    const inside = this.categories.map((c, i) => (this.passes(brush, c) ? i : -1)).filter((i) => i >= 0);
    if (!inside.length) return null;
    const n = this.categories.length;
    return [inside[0] / n, (inside[inside.length - 1] + 1) / n];
  }
}

// Every config key with a scalar value and every numeric summary metric, config first,
// each in the order the runs first show it.
export function scanAxes(runs) {
  const config = new Map();
  const summary = new Map();
  const note = (map, name, value) => {
    let info = map.get(name);
    if (!info) map.set(name, (info = { numeric: true, min: Infinity, max: -Infinity, values: new Set() }));
    if (typeof value === "number") {
      if (value < info.min) info.min = value;
      if (value > info.max) info.max = value;
    } else info.numeric = false;
    info.values.add(value);
  };
  for (const run of runs) {
    for (const [name, value] of flatConfig(run)) {
      if (typeof value === "string" || typeof value === "boolean") note(config, name, value);
      else if (typeof value === "number" && Number.isFinite(value)) note(config, name, value);
    }
    for (const [name, value] of Object.entries(run.summary || {})) {
      if (typeof value === "number" && Number.isFinite(value)) note(summary, name, value);
    }
  }
  const axes = new Map();
  for (const [name, info] of config) axes.set(`config:${name}`, new Axis("config", name, info));
  for (const [name, info] of summary) axes.set(`summary:${name}`, new Axis("summary", name, info));
  return axes;
}
