import { askForReadToken } from "./signin.js";
import { STATIC_DATA, createStaticApi } from "./staticdata.js";
import { unpackSeries } from "./packedseries.js";

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

// Set in a frozen dashboard: every call below reads its files instead of the server.
const frozen = STATIC_DATA ? createStaticApi(ApiError) : null;

/** What a frozen dashboard says of itself (`project`, `frozen_at`), or null when live. */
export async function fetchFrozenInfo() {
  return frozen ? frozen.frozen() : null;
}

function apiUrl(name, params) {
  const url = new URL(`api/${name}`, document.baseURI);
  for (const [key, value] of Object.entries(params)) {
    if (value != null && value !== "") url.searchParams.set(key, value);
  }
  return url;
}

async function failed(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (response.status === 401 && body?.needs === "read_token") askForReadToken();
  return new ApiError(body?.error || `${response.status} ${response.statusText}`, response.status);
}

async function getJSON(name, params = {}, signal) {
  const response = await fetch(apiUrl(name, params), { signal, headers: { Accept: "application/json" } });
  if (!response.ok) throw await failed(response);
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  return body;
}

export async function fetchProjects() {
  if (frozen) return frozen.projects();
  return (await getJSON("projects")).projects;
}

export async function fetchRuns(project, cursor) {
  if (frozen) return frozen.runs();
  return getJSON("runs", { project, cursor });
}

/** The project's training metrics and its system metrics (stored names, `system/...`;
 * the server lists them only when there are any). */
export async function fetchMetrics(project) {
  const body = frozen ? await frozen.metrics() : await getJSON("metrics", { project });
  return { metrics: body.metrics, system: body.system ?? [] };
}

// POSTed: a sweep's chart names 1,000 run ids, more than a URL may hold; answered
// packed (typed arrays), not as megabytes of JSON to parse. `onAnswer` is called once
// the server has answered, before the body is in.
export async function fetchSeries({ project, metric, runs, x, maxPoints, after, onAnswer }, signal) {
  if (frozen) return frozen.series({ metric, runs, x });
  const body = { project, metrics: [metric], runs, x, max_points: maxPoints, format: "packed" };
  if (after && after.length) body.after = Object.fromEntries(after);
  const response = await fetch(new URL("api/series", document.baseURI), {
    method: "POST",
    signal,
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  onAnswer?.();
  if (!response.ok) throw await failed(response);
  return unpackSeries(await response.arrayBuffer());
}

export async function fetchMedia({ project, runs, kind, key, after }, signal) {
  if (frozen) return frozen.media({ runs, kind, key });
  const params = { project, kind, key };
  if (runs) params.runs = runs.join(",");
  if (after && after.length) params.after = after.map(([id, last]) => `${id}:${last}`).join(",");
  return (await getJSON("media", params, signal)).media;
}

/** The project's alerts, newest first (with `runs`, only theirs; every level). */
export async function fetchAlerts({ project, runs }) {
  if (frozen) return frozen.alerts({ runs });
  const params = { project };
  if (runs) params.runs = runs.join(",");
  return (await getJSON("alerts", params)).alerts;
}

export async function fetchTable({ project, run, key, step, offset, limit, sort, desc }, signal) {
  if (frozen) return frozen.table({ run, key, step, offset, limit, sort, desc });
  const params = { project, run, key, step, offset, limit };
  if (sort != null) {
    params.sort = sort;
    if (desc) params.desc = "1";
  }
  return getJSON("table", params, signal);
}

export function resolveUrl(url) {
  if (typeof url !== "string" || !url) return null;
  const resolved = new URL(url, document.baseURI);
  if (resolved.origin !== location.origin) return null;
  return resolved.href;
}
