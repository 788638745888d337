// A frozen dashboard (`trackio freeze`) has no server: its page names a folder of files
// computed when it was frozen, and api.js answers from them (see trackio/static_dashboard/).
const marker = document.querySelector('meta[name="trackio-static-data"]');

export const STATIC_DATA = marker ? new URL(marker.getAttribute("content") || "data/", document.baseURI) : null;

const loaded = new Map();

async function load(url, read, ErrorType) {
  const response = await fetch(url);
  if (!response.ok) throw new ErrorType(`${url.pathname}: ${response.status} ${response.statusText}`, response.status);
  return read(response);
}

// Each file is fetched once; a failed fetch is forgotten so a later call tries again.
function cached(url, read, ErrorType) {
  const key = url.href;
  if (!loaded.has(key)) {
    const promise = load(url, read, ErrorType);
    promise.catch(() => loaded.delete(key));
    loaded.set(key, promise);
  }
  return loaded.get(key);
}

export function createStaticApi(ErrorType) {
  const json = (path, base = STATIC_DATA) => cached(new URL(path, base), (response) => response.json(), ErrorType);
  const binary = (path) =>
    cached(new URL(path, STATIC_DATA), async (response) => decodeSeries(await response.arrayBuffer()), ErrorType);

  // Series files are numbered by the training metrics, then the system metrics.
  async function seriesOf(metric) {
    const { metrics, system = [] } = await json("metrics.json");
    const index = [...metrics, ...system].indexOf(metric);
    if (index < 0) throw new ErrorType(`this snapshot has no metric “${metric}”`, 404);
    return binary(`series/${index}.bin`);
  }

  return {
    frozen: () => json("frozen.json"),
    projects: async () => [(await json("frozen.json")).project],
    runs: () => json("runs.json"),
    metrics: () => json("metrics.json"),

    async series({ metric, runs, x }) {
      const byRun = await seriesOf(metric);
      let axis = null;
      if (x !== "step" && x !== "time" && x !== "relative") axis = await seriesOf(x);
      const series = runs.map((run) => {
        const stored = byRun.get(run);
        if (!stored) return { metric, run, x: [], y: [], min: null, max: null, last_step: null };
        const entry = { metric, run, ...stored };
        if (x === "step") entry.x = stored.step;
        else if (x === "time") entry.x = stored.time.map((t) => stored.t0 + t);
        else if (x === "relative") entry.x = stored.time;
        else Object.assign(entry, pairedWith(axis.get(run), stored));
        return entry;
      });
      return { x, series, missing: [] };
    },

    async media({ runs, kind, key }) {
      const { media } = await json("media.json");
      const wanted = runs ? new Set(runs) : null;
      return media.filter(
        (item) => (!wanted || wanted.has(item.run)) && (!kind || item.kind === kind) && (!key || item.key === key),
      );
    },

    // A snapshot frozen before alerts existed has no alerts.json: it has no alerts.
    async alerts({ runs }) {
      const { alerts } = await json("alerts.json").catch((error) => {
        if (error.status === 404) return { alerts: [] };
        throw error;
      });
      const wanted = runs ? new Set(runs) : null;
      return alerts.filter((alert) => !wanted || wanted.has(alert.run_id));
    },

    // As the server's table_page: the table logged at `step` (else the latest), sorted
    // numbers first, then text, then anything else, then empty cells.
    async table({ run, key, step, offset = 0, limit = 100, sort, desc }) {
      const { media } = await json("media.json");
      let found = null;
      for (const item of media) {
        if (item.kind !== "table" || item.run !== run || item.key !== key) continue;
        if (step != null && item.step !== step) continue;
        if (!found || item.step > found.step || (item.step === found.step && item.id > found.id)) found = item;
      }
      if (!found) throw new ErrorType(`run ${run} has no table “${key}”${step != null ? ` at step ${step}` : ""}`, 404);
      // Its URL is relative to the page, as media URLs are.
      const whole = await json(found.url, document.baseURI).catch(() => {
        throw new ErrorType(`the file of table “${key}” is missing from this snapshot`, 404);
      });
      let rows = whole.rows;
      if (sort != null) {
        const column = whole.columns.indexOf(sort);
        if (column < 0) throw new ErrorType(`table “${key}” has no column “${sort}”`, 404);
        const sign = desc ? -1 : 1;
        rows = rows.slice().sort((a, b) => sign * compareCells(a[column], b[column]));
      }
      return { ...whole, rows: rows.slice(offset, offset + limit), offset };
    },
  };
}

function cellRank(cell) {
  if (typeof cell === "number" || typeof cell === "boolean") return 0;
  if (typeof cell === "string") return 1;
  return cell == null ? 3 : 2;
}

function compareCells(a, b) {
  const rank = cellRank(a) - cellRank(b);
  if (rank) return rank;
  if (typeof a === "string" || cellRank(a) === 0) {
    const [x, y] = typeof a === "string" ? [a, b] : [Number(a), Number(b)];
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return 0;
}

// A series against another metric: points paired by step, as the server pairs them;
// where either was downsampled, the axis metric's buckets are interpolated at the
// series' bucket steps (the stored resolution is all a snapshot has).
function pairedWith(axis, stored) {
  const xs = [];
  const ys = [];
  const mins = stored.min ? [] : null;
  const maxs = stored.max ? [] : null;
  if (axis) {
    const exact = !axis.downsampled && !stored.downsampled;
    const at = exact ? new Map(axis.step.map((step, i) => [step, axis.y[i]])) : null;
    for (let i = 0; i < stored.step.length; i++) {
      const value = exact ? at.get(stored.step[i]) : interpolate(axis.step, axis.y, stored.step[i]);
      if (value === undefined) continue;
      xs.push(value);
      ys.push(stored.y[i]);
      mins?.push(stored.min[i]);
      maxs?.push(stored.max[i]);
    }
  }
  return { x: xs, y: ys, min: mins, max: maxs };
}

function interpolate(steps, values, step) {
  const n = steps.length;
  if (!n || step < steps[0] || step > steps[n - 1]) return undefined;
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (steps[mid] <= step) lo = mid;
    else hi = mid;
  }
  if (steps[hi] === steps[lo]) return values[lo];
  const a = values[lo];
  const b = values[hi];
  if (a == null || b == null) return step === steps[lo] ? a : step === steps[hi] ? b : null;
  return a + ((b - a) * (step - steps[lo])) / (steps[hi] - steps[lo]);
}

// One metric's file: a uint32 header length, a JSON header, then each run's arrays,
// each aligned to 8 bytes (trackio/static_dashboard/series_files.py writes it).
function decodeSeries(buffer) {
  const length = new DataView(buffer).getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, length)));
  let offset = 4 + length;
  const byRun = new Map();
  for (const run of header.runs) {
    const arrays = {};
    for (const [name, type] of run.arrays) {
      const View = type === "f8" ? Float64Array : Float32Array;
      const values = new View(buffer, offset, run.points);
      arrays[name] = Array.from(values, (v) => (Number.isFinite(v) ? v : null));
      offset += Math.ceil(values.byteLength / 8) * 8;
    }
    byRun.set(run.run, {
      step: arrays.step,
      time: arrays.time,
      y: arrays.y,
      min: arrays.min ?? null,
      max: arrays.max ?? null,
      t0: run.t0,
      last_step: run.last_step,
      total: run.total,
      downsampled: run.downsampled,
    });
  }
  return byRun;
}
