import { el } from "./dom.js";
import { fetchTable, resolveUrl } from "./api.js";
import { formatNumber } from "./format.js";
import { lightbox } from "./lightbox.js";

export const TABLE_PAGE = 50;
const THUMB_HEIGHT = 64;

function isMedia(value) {
  return value != null && typeof value === "object" && !Array.isArray(value) && typeof value.kind === "string"
    && typeof value.url === "string";
}

function thumbSize(media) {
  const w = Number(media.width);
  const h = Number(media.height);
  if (!(w > 0 && h > 0)) return null;
  const height = Math.min(THUMB_HEIGHT, h < 24 ? THUMB_HEIGHT : h);
  return { width: Math.max(1, Math.round((w / h) * height)), height };
}

// One run's logged table at one key and step, fetched a page at a time from /api/table.
export class MediaTable {
  constructor({ project, run, key, onLoaded, onPending }) {
    this.project = project;
    this.run = run;
    this.key = key;
    this.step = null;
    this.offset = 0;
    this.sort = null;
    this.desc = false;
    this.total = 0;
    this.columns = [];
    this.loaded = false;
    this.token = 0;
    this.thumbs = [];
    this.onLoaded = onLoaded;
    this.onPending = onPending;
    this.name = el("span", { class: "media-run-name", text: run.name });
    this.stepLabel = el("span", { class: "media-cell-step" });
    this.status = el("span", { class: "media-table-status", role: "status" });
    this.table = el("table", { class: "media-table-grid" });
    this.first = el("button", { type: "button", text: "«", title: "First page", onclick: () => this.go(0) });
    this.prev = el("button", { type: "button", text: "‹ Prev", onclick: () => this.go(this.offset - TABLE_PAGE) });
    this.next = el("button", { type: "button", text: "Next ›", onclick: () => this.go(this.offset + TABLE_PAGE) });
    this.last = el("button", {
      type: "button",
      text: "»",
      title: "Last page",
      onclick: () => this.go(Math.floor(Math.max(0, this.total - 1) / TABLE_PAGE) * TABLE_PAGE),
    });
    this.info = el("span", { class: "table-info", "data-testid": "media-table-info" });
    this.scroll = el("div", { class: "media-table-scroll" }, this.table);
    this.root = el(
      "div",
      { class: "media-run-table", "data-testid": "media-table-run", dataset: { runId: run.id } },
      el(
        "div",
        { class: "media-cell-head" },
        el("span", { class: "swatch", style: { background: run.color } }),
        this.name,
        this.stepLabel,
        this.status,
      ),
      this.scroll,
      el("div", { class: "table-pager" }, this.first, this.prev, this.info, this.next, this.last),
    );
  }

  setStep(step, shownStep) {
    this.stepLabel.textContent = shownStep != null && shownStep !== step ? `step ${formatNumber(shownStep)}` : "";
    if (shownStep === this.step && this.loaded) return null;
    this.step = shownStep;
    return this.load();
  }

  go(offset) {
    this.offset = Math.max(0, offset);
    this.load();
  }

  sortBy(column) {
    if (this.sort === column) {
      if (!this.desc) this.desc = true;
      else {
        this.sort = null;
        this.desc = false;
      }
    } else {
      this.sort = column;
      this.desc = false;
    }
    this.offset = 0;
    this.load();
  }

  async load() {
    const token = ++this.token;
    if (this.step == null) {
      this.table.replaceChildren();
      this.info.textContent = "";
      this.status.textContent = "no table at or before this step";
      this.loaded = true;
      this.onLoaded(this);
      return;
    }
    this.onPending(1);
    this.root.classList.add("loading");
    try {
      const response = await fetchTable({
        project: this.project,
        run: this.run.id,
        key: this.key,
        step: this.step,
        offset: this.offset,
        limit: TABLE_PAGE,
        sort: this.sort,
        desc: this.desc,
      });
      if (token !== this.token) return;
      this.status.textContent = "";
      this.render(response);
      this.loaded = true;
      this.onLoaded(this);
    } catch (error) {
      if (token !== this.token) return;
      this.status.textContent = `could not load: ${error.message}`;
      this.loaded = true;
      this.onLoaded(this);
    } finally {
      this.root.classList.remove("loading");
      this.onPending(-1);
    }
  }

  render(response) {
    this.columns = Array.isArray(response.columns) ? response.columns.map(String) : [];
    const rows = Array.isArray(response.rows) ? response.rows : [];
    this.total = Number.isFinite(response.total) ? response.total : rows.length;
    this.offset = Number.isFinite(response.offset) ? response.offset : this.offset;
    this.thumbs = [];
    const head = el("tr", {}, el("th", { class: "row-index", text: "#" }));
    for (const column of this.columns) {
      const active = this.sort === column;
      head.append(
        el(
          "th",
          { "aria-sort": active ? (this.desc ? "descending" : "ascending") : "none" },
          el("button", {
            type: "button",
            class: "sort",
            title: `Sort by ${column}`,
            dataset: { column },
            text: `${column}${active ? (this.desc ? " ▼" : " ▲") : ""}`,
            onclick: () => this.sortBy(column),
          }),
        ),
      );
    }
    const body = el("tbody");
    const fragment = document.createDocumentFragment();
    rows.forEach((row, index) => {
      const tr = el("tr", {}, el("td", { class: "row-index num", text: String(this.offset + index + 1) }));
      const cells = Array.isArray(row) ? row : [];
      for (let c = 0; c < Math.max(cells.length, this.columns.length); c++) tr.append(this.cell(cells[c]));
      fragment.append(tr);
    });
    body.append(fragment);
    if (!rows.length) {
      body.append(el("tr", {}, el("td", { colspan: String(this.columns.length + 1), class: "empty", text: "No rows." })));
    }
    this.table.replaceChildren(el("thead", {}, head), body);
    this.scroll.scrollTop = 0;
    const end = this.offset + rows.length;
    this.info.textContent = this.total
      ? `rows ${formatNumber(this.offset + 1)}–${formatNumber(end)} of ${formatNumber(this.total)}`
      : "0 rows";
    this.first.disabled = this.prev.disabled = this.offset <= 0;
    this.next.disabled = this.last.disabled = end >= this.total;
  }

  cell(value) {
    if (value == null) return el("td", { class: "null" });
    if (typeof value === "number") return el("td", { class: "num", text: formatNumber(value) });
    if (typeof value === "boolean") return el("td", { text: String(value) });
    if (typeof value === "string") return el("td", {}, el("div", { class: "cell-text", text: value }));
    if (isMedia(value)) return el("td", { class: "media" }, el("div", { class: "thumbs" }, this.media(value)));
    if (Array.isArray(value) && value.some(isMedia)) {
      const row = el("div", { class: "thumbs", "data-testid": "media-thumb-list" });
      for (const item of value) {
        row.append(isMedia(item) ? this.media(item) : el("span", { class: "cell-text", text: JSON.stringify(item) }));
      }
      return el("td", { class: "media" }, row);
    }
    return el("td", {}, el("div", { class: "cell-text", text: JSON.stringify(value) }));
  }

  media(value) {
    const url = resolveUrl(value.url);
    const caption = typeof value.caption === "string" ? value.caption : null;
    if (!url) return el("span", { class: "media-missing", text: "missing file" });
    if (value.kind === "audio") return el("audio", { src: url, controls: true, preload: "none", class: "thumb-audio" });
    if (value.kind === "video" && !/\.gif(&|$)/i.test(value.url) && value.format !== "gif") {
      return el("video", { src: url, controls: true, preload: "metadata", muted: true, class: "thumb-video" });
    }
    const size = thumbSize(value);
    const img = el("img", {
      class: "thumb",
      src: url,
      loading: "lazy",
      decoding: "async",
      alt: caption || "",
      title: caption || "",
      "data-testid": "media-thumb",
    });
    if (size) {
      img.width = size.width;
      img.height = size.height;
      if (Number(value.width) <= 64) img.classList.add("pixelated");
    }
    const index = this.thumbs.length;
    const entry = {
      url,
      kind: "image",
      caption,
      title: `${this.run.name} · ${this.key} · step ${formatNumber(this.step)}`,
      pixelated: img.classList.contains("pixelated"),
      width: value.width,
      height: value.height,
    };
    this.thumbs.push(entry);
    img.addEventListener("click", () => {
      let at = index;
      lightbox().show(entry, (delta) => {
        const next = at + delta;
        if (next < 0 || next >= this.thumbs.length) return null;
        at = next;
        return this.thumbs[at];
      });
    });
    if (!caption) return img;
    return el("figure", { class: "thumb-figure" }, img, el("figcaption", { class: "thumb-caption", text: caption }));
  }
}
