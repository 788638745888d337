import { el } from "./dom.js";

// One full-window overlay showing a single image (or video) large, with its caption.
// Everything user-provided goes through textContent or attributes, never HTML.
export class Lightbox {
  constructor() {
    this.media = el("div", { class: "lightbox-media" });
    this.title = el("div", { class: "lightbox-title" });
    this.caption = el("div", { class: "lightbox-caption", "data-testid": "media-lightbox-caption" });
    this.prevButton = el("button", {
      type: "button",
      class: "lightbox-nav prev",
      "aria-label": "Previous",
      text: "‹",
      onclick: (event) => {
        event.stopPropagation();
        this.step(-1);
      },
    });
    this.nextButton = el("button", {
      type: "button",
      class: "lightbox-nav next",
      "aria-label": "Next",
      text: "›",
      onclick: (event) => {
        event.stopPropagation();
        this.step(1);
      },
    });
    this.closeButton = el("button", {
      type: "button",
      class: "lightbox-close",
      "aria-label": "Close",
      text: "×",
      onclick: () => this.close(),
    });
    this.root = el(
      "div",
      {
        class: "lightbox",
        role: "dialog",
        "aria-modal": "true",
        "aria-label": "Enlarged media",
        "data-testid": "media-lightbox",
        hidden: true,
        tabindex: "-1",
        onclick: (event) => {
          if (event.target === this.root || event.target === this.media) this.close();
        },
      },
      this.closeButton,
      this.prevButton,
      el("figure", { class: "lightbox-figure" }, this.media, el("figcaption", {}, this.title, this.caption)),
      this.nextButton,
    );
    this.onNavigate = null;
    this.returnFocus = null;
    document.addEventListener("keydown", (event) => {
      if (this.root.hidden) return;
      if (event.key === "Escape") this.close();
      else if (event.key === "ArrowLeft") this.step(-1);
      else if (event.key === "ArrowRight") this.step(1);
    });
    document.body.append(this.root);
  }

  get open() {
    return !this.root.hidden;
  }

  // entry: {url, kind, caption, title}; onNavigate(delta) returns the next entry or null.
  show(entry, onNavigate = null) {
    if (this.root.hidden) this.returnFocus = document.activeElement;
    this.onNavigate = onNavigate;
    this.render(entry);
    this.root.hidden = false;
    this.root.focus();
  }

  render(entry) {
    let node;
    if (entry.kind === "video") {
      node = el("video", { src: entry.url, controls: true, autoplay: true, loop: true, class: "lightbox-content" });
    } else {
      node = el("img", { src: entry.url, alt: entry.caption || entry.title || "", class: "lightbox-content" });
      if (entry.pixelated) node.classList.add("pixelated");
      const fit = (width, height) => {
        if (!(width > 0 && height > 0)) return;
        node.style.width = `min(var(--lightbox-width), calc(var(--lightbox-height) * ${width / height}))`;
      };
      fit(Number(entry.width), Number(entry.height));
      node.addEventListener("load", () => {
        fit(node.naturalWidth, node.naturalHeight);
        // Blown-up small images (generated samples, MNIST digits) keep their pixels crisp.
        if (node.naturalWidth * 3 <= node.getBoundingClientRect().width) node.classList.add("pixelated");
      }, { once: true });
    }
    this.media.replaceChildren(node);
    this.title.textContent = entry.title || "";
    this.caption.textContent = entry.caption || "";
    this.caption.hidden = !entry.caption;
    this.prevButton.hidden = !this.onNavigate;
    this.nextButton.hidden = !this.onNavigate;
  }

  step(delta) {
    if (!this.onNavigate) return;
    const entry = this.onNavigate(delta);
    if (entry) this.render(entry);
  }

  close() {
    if (this.root.hidden) return;
    this.root.hidden = true;
    this.media.replaceChildren();
    this.onNavigate = null;
    if (this.returnFocus && this.returnFocus.isConnected) this.returnFocus.focus();
    this.returnFocus = null;
  }
}

let shared = null;

export function lightbox() {
  if (!shared) shared = new Lightbox();
  return shared;
}
