export function formatNumber(value) {
  if (value == null) return "–";
  if (typeof value !== "number") return String(value);
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return value.toLocaleString("en-US");
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return value.toExponential(3).replace(/\.?0+e/, "e");
  return String(Number(value.toPrecision(5)));
}

export function formatTick(value) {
  if (value == null) return "";
  const abs = Math.abs(value);
  if (abs === 0) return "0";
  if (abs >= 1e6 || abs < 1e-3) return value.toExponential(1).replace(/\.0e/, "e");
  if (abs >= 1e4) return `${Number((value / 1e3).toPrecision(4))}k`;
  return String(Number(value.toPrecision(4)));
}

export function formatDuration(seconds) {
  if (seconds == null || !Number.isFinite(seconds)) return "";
  const sign = seconds < 0 ? "-" : "";
  let s = Math.abs(seconds);
  if (s < 60) return `${sign}${Number(s.toPrecision(3))}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  s = Math.round(s % 60);
  if (h > 0) return `${sign}${h}h${m ? ` ${m}m` : ""}`;
  return `${sign}${m}m${s ? ` ${s}s` : ""}`;
}

export function formatTime(epochSeconds) {
  if (epochSeconds == null) return "";
  return new Date(epochSeconds * 1000).toLocaleString();
}

const DAY = { month: "short", day: "numeric" };

/** Wall-time tick labels on one line, for ticks `step` seconds apart: the time of day
 * (with seconds, or their fractions, when ticks are that close), and the date at
 * midnight or when ticks are days apart. The full date and time are in the tooltip. */
export function formatWallTicks(splits, step) {
  return splits.map((seconds) => {
    const date = new Date(seconds * 1000);
    const midnight = date.getHours() === 0 && date.getMinutes() === 0 && date.getSeconds() === 0
      && date.getMilliseconds() === 0;
    if (step >= 86400 || midnight) return date.toLocaleDateString(undefined, DAY);
    const options = { hour: "numeric", minute: "2-digit" };
    if (step < 60) options.second = "2-digit";
    if (step < 1) options.fractionalSecondDigits = Math.min(3, Math.ceil(-Math.log10(step) - 1e-9));
    return date.toLocaleTimeString(undefined, options);
  });
}

export function formatCell(value) {
  if (value == null) return "";
  if (typeof value === "number") return formatNumber(value);
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** Round values between `lo` and `hi` for about `target` ticks: steps of 1, 2, 2.5 or 5
 * times a power of ten, so labels read 0.2, 0.4 rather than 0.2371, 0.4742. */
export function niceTicks(lo, hi, target = 4) {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / target;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw * (1 - 1e-9));
  const first = Math.ceil(lo / step - 1e-9);
  const ticks = [];
  for (let k = first; k * step <= hi + step * 1e-9; k++) ticks.push(Number((k * step).toPrecision(12)));
  return ticks;
}
