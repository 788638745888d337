// The hooks exist only for the browser tests and benchmarks, which set this flag
// before the page's scripts run; a user's page publishes nothing.
const enabled = window.__trackioTestHooks === true;

const hooks = {
  ready: false,
  pending: 0,
  chartsDrawn: 0,
  draws: 0,
  charts: {},
  project: null,
  media: { ready: false, images: 0, imageElements: 0, tables: 0, histograms: 0, items: 0, histogramTicks: [] },
};

if (enabled) window.__trackio = hooks;

function labelsFit(u) {
  if (!u) return null;
  const axis = u.axes[1];
  u.ctx.font = axis.font[0];
  const widest = Math.max(0, ...(axis._values || []).map((v) => u.ctx.measureText(v).width)) / devicePixelRatio;
  return widest + axis.ticks.size + axis.gap <= axis._size;
}

export function recordHistogramTicks(labels) {
  if (!enabled) return;
  for (const text of labels) if (!hooks.media.histogramTicks.includes(text)) hooks.media.histogramTicks.push(text);
}

export function publishCharts(charts, pending) {
  if (!enabled) return;
  const summary = {};
  let drawn = 0;
  for (const chart of charts) {
    if (!chart.drawn) continue;
    drawn += 1;
    const runs = {};
    for (const trace of chart.traces || []) {
      for (const run of trace.runs) runs[run.id] = chart.series.get(run.id)?.x.length ?? 0;
    }
    const traces = chart.traces || [];
    summary[chart.metric] = {
      title: chart.title,
      unit: chart.unit,
      system: Boolean(chart.system),
      runs,
      draws: chart.draws,
      zoomed: Boolean(chart.zoom),
      smoothing: chart.view?.smoothing ?? 0,
      xMode: chart.view?.xMode ?? "step",
      logY: Boolean(chart.view?.logY),
      xRange: chart.uplot ? [chart.uplot.scales.x.min, chart.uplot.scales.x.max] : null,
      yRange: chart.uplot ? [chart.uplot.scales.y.min, chart.uplot.scales.y.max] : null,
      xLabel: chart.uplot ? chart.uplot.axes[0].label ?? null : null,
      lines: traces.length,
      lineNames: traces.map((t) => t.name),
      grouped: Boolean(chart.grouped),
      // Each group's line as drawn: its x values, mean (before smoothing) and band.
      groups: chart.grouped
        ? traces.map((t) => ({
          name: t.name,
          key: t.group,
          runs: t.runs.length,
          color: t.color,
          band: Boolean(t.band),
          x: t.x,
          mean: t.y,
          lo: t.band?.lo ?? null,
          hi: t.band?.hi ?? null,
        }))
        : [],
      builds: chart.builds,
    };
    // Read when the test asks: uPlot lays its axes out after this call.
    const axes = () => chart.uplot?.axes ?? [];
    Object.defineProperty(summary[chart.metric], "xTicks", { enumerable: true, get: () => axes()[0]?._values ?? [] });
    Object.defineProperty(summary[chart.metric], "yTicks", { enumerable: true, get: () => axes()[1]?._values ?? [] });
    Object.defineProperty(summary[chart.metric], "expanded", { enumerable: true, get: () => Boolean(chart.expanded) });
    Object.defineProperty(summary[chart.metric], "yLabelsFit", { enumerable: true, get: () => labelsFit(chart.uplot) });
    // The highlight changes without a redraw of the data: read when asked.
    const lit = () => (chart.traces || []).filter((t) => t.highlighted).map((t) => t.name);
    Object.defineProperty(summary[chart.metric], "highlighted", { enumerable: true, get: () => lit()[0] ?? null });
    Object.defineProperty(summary[chart.metric], "highlightedLines", { enumerable: true, get: lit });
    const alphas = () => (chart.traces || []).map((t) => t.alpha ?? null);
    Object.defineProperty(summary[chart.metric], "alphas", { enumerable: true, get: alphas });
    Object.defineProperty(summary[chart.metric], "dimmed", { enumerable: true, get: () => alphas().filter((a) => a != null && a < 1).length });
    Object.defineProperty(summary[chart.metric], "currentBuilds", { enumerable: true, get: () => chart.builds });
  }
  hooks.charts = summary;
  hooks.chartsDrawn = drawn;
  hooks.pending = pending;
  hooks.draws += 1;
}

export function markReady(project) {
  if (!enabled) return;
  hooks.project = project;
  hooks.ready = true;
}

export function markLoading(project) {
  if (!enabled) return;
  hooks.project = project;
  hooks.ready = false;
  hooks.chartsDrawn = 0;
  hooks.charts = {};
}

export function publishMedia(summary) {
  if (!enabled) return;
  Object.assign(hooks.media, summary);
}

export function publishSweep(summary) {
  if (!enabled) return;
  hooks.sweep = summary;
}
