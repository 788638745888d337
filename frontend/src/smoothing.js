export function debiasedEma(values, weight) {
  const n = values.length;
  if (!(weight > 0)) return values;
  let first = null;
  let constant = true;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v == null || !Number.isFinite(v)) continue;
    if (first === null) first = v;
    else if (v !== first) {
      constant = false;
      break;
    }
  }
  if (constant) return values;
  const out = new Array(n);
  let last = 0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v == null || !Number.isFinite(v)) {
      out[i] = null;
      continue;
    }
    last = last * weight + (1 - weight) * v;
    count += 1;
    out[i] = weight === 1 ? last : last / (1 - weight ** count);
  }
  return out;
}
