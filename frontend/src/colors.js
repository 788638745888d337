export const PALETTE = [
  "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
  "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f",
  "#3b5bdb", "#f08c00", "#0ca678", "#e03131", "#ae3ec9",
  "#a0522d", "#d6336c", "#1098ad", "#74b816", "#495057",
];

export function colorAt(index) {
  return PALETTE[index % PALETTE.length];
}

export function withAlpha(hex, alpha) {
  const value = parseInt(hex.slice(1), 16);
  const r = (value >> 16) & 255;
  const g = (value >> 8) & 255;
  const b = value & 255;
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

export function themeColors() {
  const style = getComputedStyle(document.documentElement);
  const read = (name) => style.getPropertyValue(name).trim();
  return {
    fg: read("--fg"),
    muted: read("--muted"),
    grid: read("--grid"),
    panel: read("--panel") || "#ffffff",
    // A group's min-max band: on a dark panel the same alpha all but vanishes.
    bandAlpha: Number.parseFloat(read("--band-alpha")) || 0.16,
    font: read("--font-chart") || "11px system-ui, sans-serif",
  };
}
