// A press that moves less than this many pixels is a click; more is a drag (a zoom, a
// brush, a rectangle).
export const CLICK_PX = 4;

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value == null || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "style") Object.assign(node.style, value);
    else if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else if (key in node && typeof value !== "string") node[key] = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node) {
  node.replaceChildren();
  return node;
}

export function textMatcher(query) {
  const text = query.trim();
  if (!text) return () => true;
  try {
    const re = new RegExp(text, "i");
    return (value) => re.test(value);
  } catch {
    const lower = text.toLowerCase();
    return (value) => value.toLowerCase().includes(lower);
  }
}
