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
  media: { ready: false, images: 0, imageElements: 0, tables: 0, histograms: 0, items: 0 },
};

if (enabled) window.__trackio = hooks;

export function publishCharts(charts, pending) {
  if (!enabled) return;
  const summary = {};
  let drawn = 0;
  for (const chart of charts) {
    if (!chart.drawn) continue;
    drawn += 1;
    const runs = {};
    for (const trace of chart.traces || []) runs[trace.run.id] = trace.x.length;
    summary[chart.metric] = {
      runs,
      draws: chart.draws,
      zoomed: Boolean(chart.zoom),
      smoothing: chart.view?.smoothing ?? 0,
      xMode: chart.view?.xMode ?? "step",
      logY: Boolean(chart.view?.logY),
      xRange: chart.uplot ? [chart.uplot.scales.x.min, chart.uplot.scales.x.max] : null,
      yRange: chart.uplot ? [chart.uplot.scales.y.min, chart.uplot.scales.y.max] : null,
    };
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
