// The `parcoords=` URL parameter: the axes, comma-separated, in their order; an axis
// is a config key's name, or a summary metric's when no config key has that name
// (`summary:NAME` names the metric when one does); a brushed axis ends in `:lo..hi`,
// numbers on a numeric axis, the first and last category of its range on a
// categorical one. E.g. `parcoords=lr,batch,optimizer:adam..adamw,loss:0.1..0.5`.
// Within a name or value, `%`, `,` and `:` are percent-escaped, and so are the dots of
// one that would read as a range (`..` inside it, or a dot at either end).

function escapePart(text) {
  const out = String(text).replace(/[%,:]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return /\.\.|^\.|\.$/.test(out) ? out.replace(/\./g, "%2E") : out;
}

function unescapePart(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function refOfParts(parts) {
  if (parts.length === 1 && parts[0]) return { name: unescapePart(parts[0]), summary: false };
  if (parts.length === 2 && parts[0] === "summary" && parts[1]) return { name: unescapePart(parts[1]), summary: true };
  return null;
}

export function formatAxisRef(ref) {
  return `${ref.summary ? "summary:" : ""}${escapePart(ref.name)}`;
}

export function parseAxisRef(text) {
  return refOfParts(text.trim().split(":"));
}

/** `parcoords=`'s text as [{name, summary, lo?, hi?}] (lo and hi as written). */
export function parseParcoords(text) {
  const axes = [];
  for (const token of text.split(",")) {
    const parts = token.trim().split(":");
    let brush = null;
    if (parts.length > 1 && parts[parts.length - 1].includes("..")) {
      const range = parts.pop().split("..");
      if (range.length === 2 && range[0] && range[1]) {
        brush = { lo: unescapePart(range[0]), hi: unescapePart(range[1]) };
      }
    }
    const ref = refOfParts(parts);
    if (ref) axes.push(brush ? { ...ref, ...brush } : ref);
  }
  return axes;
}

export function formatParcoords(axes) {
  return axes
    .map((axis) => {
      const brush = axis.lo != null && axis.hi != null ? `:${escapePart(axis.lo)}..${escapePart(axis.hi)}` : "";
      return `${formatAxisRef(axis)}${brush}`;
    })
    .join(",");
}
