// What the Sweep view's canvases share: the colour ramp, the theme's colours and
// sizing a canvas for the device's pixels.
import { themeColors } from "./colors.js";

// Low values cool, high ones warm; every stop reads on the light and the dark panel.
export const RAMP = ["#3b5bdb", "#15aabf", "#f59f00", "#e03131"];

function rgbOf(hex) {
  const value = parseInt(hex.slice(1), 16);
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
}

const RAMP_STEPS = 256;
const rampTable = Array.from({ length: RAMP_STEPS }, (_, k) => {
  const x = (k / (RAMP_STEPS - 1)) * (RAMP.length - 1);
  const i = Math.min(Math.floor(x), RAMP.length - 2);
  const f = x - i;
  const a = rgbOf(RAMP[i]);
  const b = rgbOf(RAMP[i + 1]);
  return a.map((c, j) => Math.round(c + (b[j] - c) * f));
});

export function rampColor(t, alpha = 1) {
  const k = Math.round(Math.min(Math.max(Number.isFinite(t) ? t : 0, 0), 1) * (RAMP_STEPS - 1));
  const [r, g, b] = rampTable[k];
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

export function rampGradient() {
  return `linear-gradient(to right, ${RAMP.join(", ")})`;
}

// The theme's colours, the ones blended with withAlpha as #rrggbb.
export function canvasColors() {
  const style = getComputedStyle(document.documentElement);
  const hex = (name, fallback) => {
    const value = style.getPropertyValue(name).trim();
    return /^#[0-9a-f]{6}$/i.test(value) ? value : fallback;
  };
  return {
    ...themeColors(),
    muted: hex("--muted", "#5f6b76"),
    panel: hex("--panel", "#ffffff"),
    accent: hex("--accent", "#ff7f0e"),
  };
}

/** Size `canvas`'s backing store for `width` x `height` CSS pixels at the device pixel
 * ratio; returns its context, drawing in CSS pixels, cleared. */
export function prepareCanvas(canvas, width, height) {
  const ratio = window.devicePixelRatio || 1;
  canvas.style.height = `${height}px`;
  if (canvas.width !== Math.round(width * ratio)) canvas.width = Math.round(width * ratio);
  if (canvas.height !== Math.round(height * ratio)) canvas.height = Math.round(height * ratio);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  return ctx;
}

export function fitText(ctx, text, maxWidth) {
  if (ctx.measureText(text).width <= maxWidth) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (ctx.measureText(`${text.slice(0, mid)}…`).width <= maxWidth) lo = mid;
    else hi = mid - 1;
  }
  return lo ? `${text.slice(0, lo)}…` : "";
}
