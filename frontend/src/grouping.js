// A group's line: at each x, the mean over the group's runs, with their min and max.
//
// Runs log at steps of their own (one every 10, one every 7, one restarted at 500), so
// a group is read on the union of its runs' x values, each run's value there taken off
// its own line: linear between the two points around it, and only between its first
// and last x, so a run that stopped early pulls the mean no further than it went. Runs
// logged at the same steps (a sweep's usual case) give exactly their mean. Where the
// union is longer than a chart can show (wall or relative time, where no two runs share
// an x), an even grid over it is read instead.

const GRID_POINTS = 2000;

// A run's points with a value, in x order (a custom x axis need not grow with steps).
function line(series) {
  const xs = [];
  const ys = [];
  for (let i = 0; i < series.x.length; i++) {
    const x = series.x[i];
    const y = series.y[i];
    if (x == null || y == null || !Number.isFinite(y)) continue;
    xs.push(x);
    ys.push(y);
  }
  if (series.sorted) return { x: xs, y: ys };
  const order = xs.map((_, i) => i).sort((a, b) => xs[a] - xs[b]);
  return { x: order.map((i) => xs[i]), y: order.map((i) => ys[i]) };
}

function sameXs(lines) {
  const first = lines[0].x;
  return lines.every((l) => l.x.length === first.length && l.x.every((x, i) => x === first[i]));
}

function unionOf(lines) {
  if (sameXs(lines)) return lines[0].x.slice();
  let total = 0;
  for (const l of lines) total += l.x.length;
  const all = new Float64Array(total);
  let k = 0;
  for (const l of lines) for (const x of l.x) all[k++] = x;
  all.sort();
  const out = [];
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[i - 1]) out.push(all[i]);
  return out;
}

function grid(xs, points) {
  const lo = xs[0];
  const hi = xs[xs.length - 1];
  // Steps are whole numbers: a grid between them would name steps no run logged.
  const whole = xs.every(Number.isInteger);
  const out = [];
  for (let k = 0; k < points; k++) {
    let x = lo + ((hi - lo) * k) / (points - 1);
    if (whole) x = Math.round(x);
    if (!out.length || x !== out[out.length - 1]) out.push(x);
  }
  return out;
}

/** The mean, min and max at each x of `members` (series as Chart keeps them:
 * {x, y, sorted}); null where no member has a value. */
export function aggregate(members, maxPoints = GRID_POINTS) {
  const lines = members.map(line).filter((l) => l.x.length);
  if (!lines.length) return { x: [], mean: [], lo: [], hi: [], count: [] };
  let xs = unionOf(lines);
  if (xs.length > maxPoints) xs = grid(xs, maxPoints);
  const n = xs.length;
  const sum = new Float64Array(n);
  const count = new Array(n).fill(0);
  const lo = new Array(n).fill(null);
  const hi = new Array(n).fill(null);
  for (const { x: lx, y: ly } of lines) {
    const m = lx.length;
    const first = lx[0];
    const last = lx[m - 1];
    let j = 0;
    for (let i = 0; i < n; i++) {
      const x = xs[i];
      if (x < first) continue;
      if (x > last) break;
      while (j < m - 1 && lx[j + 1] <= x) j++;
      const v = lx[j] === x || j === m - 1
        ? ly[j]
        : ly[j] + ((x - lx[j]) / (lx[j + 1] - lx[j])) * (ly[j + 1] - ly[j]);
      sum[i] += v;
      count[i] += 1;
      if (lo[i] === null || v < lo[i]) lo[i] = v;
      if (hi[i] === null || v > hi[i]) hi[i] = v;
    }
  }
  const mean = new Array(n);
  for (let i = 0; i < n; i++) mean[i] = count[i] ? sum[i] / count[i] : null;
  return { x: xs, mean, lo, hi, count };
}

/** Memoises `aggregate` per group: dragging the smoothing slider, or a highlight,
 * redraws a chart without its data changing. A series grows in place when live points
 * arrive and is replaced when refetched, hence both its identity and its length. */
export class GroupCache {
  constructor() {
    this.entries = new Map();
  }

  get(key, members, maxPoints) {
    const signature = members.map((s) => s.x.length);
    const entry = this.entries.get(key);
    if (
      entry
      && entry.maxPoints === maxPoints
      && entry.members.length === members.length
      && entry.members.every((s, i) => s === members[i] && entry.signature[i] === signature[i])
    ) {
      return entry.result;
    }
    const result = aggregate(members, maxPoints);
    this.entries.set(key, { members, signature, maxPoints, result });
    return result;
  }

  retain(keys) {
    for (const key of this.entries.keys()) if (!keys.has(key)) this.entries.delete(key);
  }
}
