// A run's config as the dashboard offers it: nested objects (a Hydra or dataclass dump)
// as dotted keys, as in W&B, so the runs list groups by and the Sweep view plots the
// same keys.
const flatConfigs = new WeakMap();

export function flatConfig(run) {
  const config = run.config || {};
  let flat = flatConfigs.get(config);
  if (flat) return flat;
  flat = new Map();
  const walk = (object, prefix) => {
    for (const [key, value] of Object.entries(object)) {
      const name = `${prefix}${key}`;
      if (value !== null && typeof value === "object" && !Array.isArray(value)) walk(value, `${name}.`);
      else if (!flat.has(name)) flat.set(name, value);
    }
  };
  walk(config, "");
  flatConfigs.set(config, flat);
  return flat;
}
