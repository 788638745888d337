"""The dashboard's Media view, driven in Debian's headless Chromium through Playwright.

Images, tables (with image cells and cells holding lists of images, as TRL logs them),
histograms, audio and video are logged with the real API and served by the real server;
the page exposes `window.__trackio.media` for the assertions.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import pytest
from browser_support import (
    BrowserTab,
    dashboard_server_fixtures,
    new_test_context,
    skip_module_without_browser,
)

import trackio

skip_module_without_browser()
XSS = "<img src=x onerror=alert(1)>"
SCREENSHOTS = os.environ.get("TRACKIO_SCREENSHOTS")

# The colour of the image logged at each step, so the page's pixels tell which step it shows.
STEP_COLORS = {0: (255, 0, 0), 1: (0, 255, 0), 2: (0, 0, 255)}

IMAGE_PIXEL = """img => {
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const pixel = ctx.getImageData(img.naturalWidth >> 1, img.naturalHeight >> 1, 1, 1);
  return Array.from(pixel.data.slice(0, 3));
}"""

PAINTED_PIXELS = """canvas => {
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted += 1;
  return {painted, width: canvas.width, height: canvas.height};
}"""


class MediaPage(BrowserTab):
    """One browser tab on the dashboard's Media view, also recording failed requests."""

    def __init__(self, page, base_url: str) -> None:
        super().__init__(page, base_url)
        self.failed_requests: list[str] = []
        page.on("requestfailed", lambda request: self.failed_requests.append(request.url))

    def open(self, **params: str) -> None:
        self.page.goto(f"{self.base_url}?{urlencode({'view': 'media', **params})}")
        self.wait_settled()

    def wait_settled(self, timeout: float = 15_000) -> None:
        self.page.wait_for_function(
            "window.__trackio && window.__trackio.ready && window.__trackio.media.ready",
            timeout=timeout,
        )

    def hooks(self) -> dict:
        return self.page.evaluate("JSON.parse(JSON.stringify(window.__trackio.media))")

    def wait_images_loaded(self, selector: str, count: int) -> None:
        self.page.wait_for_function(
            """([selector, count]) => {
                const imgs = [...document.querySelectorAll(selector)];
                return imgs.length === count && imgs.every(i => i.complete && i.naturalWidth > 0);
            }""",
            arg=[selector, count],
        )

    def wait_step(self, key: str, step: int, timeout: float = 15_000) -> None:
        """Wait until the block of image key `key` shows step `step`."""
        self.page.wait_for_function(
            "([key, step]) => [...document.querySelectorAll('[data-testid=media-key]')]"
            ".some(b => b.dataset.key === key && b.dataset.step === step)",
            arg=[key, str(step)],
            timeout=timeout,
        )

    def wait_table_info(self, text: str, exact: bool = False) -> None:
        """Wait until the (first) table's row range reads `text` (or starts with it)."""
        self.page.wait_for_function(
            "([text, exact]) => { const info = document.querySelector("
            "'[data-testid=media-table-info]'); if (!info) return false;"
            " return exact ? info.textContent === text : info.textContent.startsWith(text); }",
            arg=[text, exact],
        )

    def shot(self, name: str, locator=None) -> None:
        if not SCREENSHOTS:
            return
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        target = locator if locator is not None else self.page
        target.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"))


server, _each_test_starts_empty = dashboard_server_fixtures()


@pytest.fixture
def media_page(browser, server):
    context = new_test_context(browser, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    view = MediaPage(page, server.url)
    yield view
    context.close()
    assert view.errors == [], f"script errors in the page: {view.errors}"
    assert view.dialogs == [], f"the page opened dialogs: {view.dialogs}"


def solid(color: tuple[int, int, int], height: int = 24, width: int = 40) -> np.ndarray:
    image = np.zeros((height, width, 3), dtype=np.uint8)
    image[:, :] = color
    return image


def log_rich_run(project: str, name: str, offset: float = 0.0) -> str:
    """Three steps of an image and a histogram, then a TRL-shaped table at the last step."""
    run = trackio.init(project=project, name=name)
    rng = np.random.default_rng(len(name))
    for step, color in STEP_COLORS.items():
        trackio.log(
            {
                "samples": trackio.Image(solid(color), caption=f"<b>bold</b> step {step}"),
                "weights": trackio.Histogram(rng.normal(offset + step, 1.0, 2_000)),
                "loss": 1.0 / (step + 1),
            },
            step=step,
        )
    rows = []
    for index in range(3):
        completions = [
            trackio.Image(solid((40 * index, 100, 200 - 40 * k), height=16, width=16))
            for k in range(2)
        ]
        rows.append([f"prompt {index} <i>{XSS}</i>", float(index), completions])
    trackio.log(
        {
            "completions": trackio.Table(
                dataframe=__import__("pandas").DataFrame(
                    rows, columns=["prompt", "reward", "images"]
                )
            )
        },
        step=2,
    )
    trackio.finish()
    return run.id


def test_media_page_shows_the_image_the_table_and_the_histogram(media_page):
    run_id = log_rich_run("rich", "alpha")
    media_page.open(project="rich")
    page = media_page.page

    block = page.locator("[data-testid=media-key][data-key=samples]")
    assert block.get_attribute("data-step") == "2"
    cells = block.locator("[data-testid=media-cell]")
    assert cells.count() == 1
    assert cells.first.get_attribute("data-run-id") == run_id
    image = cells.first.locator("img")
    assert image.get_attribute("loading") == "lazy"
    media_page.wait_images_loaded("[data-testid=media-key][data-key=samples] img", 1)
    assert image.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [40, 24]
    assert image.evaluate(IMAGE_PIXEL) == list(STEP_COLORS[2])
    caption = cells.first.locator("[data-testid=media-caption]")
    assert caption.inner_text() == "<b>bold</b> step 2"
    assert page.locator("[data-testid=media-view] b, [data-testid=media-view] i").count() == 0

    table = page.locator("[data-testid=media-table][data-key=completions]")
    rows = table.locator("tbody tr")
    assert rows.count() == 3
    headers = table.locator("thead th").all_inner_texts()
    assert [h.strip() for h in headers] == ["#", "prompt", "reward", "images"]
    first = rows.first.locator("td")
    assert first.nth(1).inner_text() == f"prompt 0 <i>{XSS}</i>"
    assert first.nth(2).inner_text() == "0"
    thumb_rows = table.locator("[data-testid=media-thumb-list]")
    assert thumb_rows.count() == 3
    for index in range(3):
        assert thumb_rows.nth(index).locator("img").count() == 2
    media_page.wait_images_loaded("[data-testid=media-table] img", 6)
    thumbs = table.locator("img")
    assert all(loading == "lazy" for loading in thumbs.evaluate_all("l => l.map(i => i.loading)"))
    assert thumbs.nth(5).evaluate(IMAGE_PIXEL) == [80, 100, 160]

    media_page.shot("media-view")
    histogram = page.locator("[data-testid=media-histogram][data-key=weights]")
    histogram.scroll_into_view_if_needed()
    page.wait_for_function("window.__trackio.media.histograms === 1")
    overlay = histogram.locator("[data-testid=histogram-overlay]").evaluate(PAINTED_PIXELS)
    assert overlay["width"] > 300 and overlay["painted"] > 2_000
    heatmap = histogram.locator(f"[data-testid=histogram-run][data-run-id='{run_id}']")
    assert heatmap.evaluate(PAINTED_PIXELS)["painted"] > 2_000

    hooks = media_page.hooks()
    assert hooks["ready"] is True
    assert hooks["tables"] == 1
    assert hooks["histograms"] == 1
    assert hooks["images"] == 7
    ticks = hooks["histogramTicks"]
    assert ticks and all(_round_tick(text) for text in ticks), ticks
    media_page.shot("media-histogram", histogram)
    assert media_page.failed_requests == []


def _round_tick(text: str) -> bool:
    """Whether a tick label is a round number: at most two significant digits."""
    digits = text.lstrip("-").replace(".", "").lstrip("0").rstrip("0").split("e")[0]
    return len(digits) <= 2


def test_step_slider_changes_the_image_and_caption(media_page):
    log_rich_run("slider", "alpha")
    media_page.open(project="slider")
    page = media_page.page
    block = page.locator("[data-testid=media-key][data-key=samples]")
    slider = block.locator("[data-testid=media-step]")
    assert slider.input_value() == "2"
    image = block.locator("img")
    latest_src = image.get_attribute("src")

    slider.fill("0")
    media_page.wait_step("samples", 0)
    assert image.get_attribute("src") != latest_src
    media_page.wait_images_loaded("[data-testid=media-key][data-key=samples] img", 1)
    assert image.evaluate(IMAGE_PIXEL) == list(STEP_COLORS[0])
    assert block.locator("[data-testid=media-caption]").inner_text() == "<b>bold</b> step 0"

    slider.focus()
    page.keyboard.press("ArrowRight")
    media_page.wait_step("samples", 1)
    media_page.wait_images_loaded("[data-testid=media-key][data-key=samples] img", 1)
    assert image.evaluate(IMAGE_PIXEL) == list(STEP_COLORS[1])


def test_clicking_an_image_enlarges_it(media_page):
    log_rich_run("enlarge", "alpha")
    media_page.open(project="enlarge")
    page = media_page.page
    lightbox = page.locator("[data-testid=media-lightbox]")
    assert lightbox.is_hidden()
    small = page.locator("[data-testid=media-key][data-key=samples] img")
    small_box = small.bounding_box()
    small.click()
    assert lightbox.is_visible()
    big = lightbox.locator("img")
    page.wait_for_function(
        "() => { const i = document.querySelector('[data-testid=media-lightbox] img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    assert big.bounding_box()["width"] > small_box["width"]
    assert lightbox.locator("[data-testid=media-lightbox-caption]").inner_text() == (
        "<b>bold</b> step 2"
    )
    page.keyboard.press("ArrowLeft")
    assert lightbox.locator("[data-testid=media-lightbox-caption]").inner_text() == (
        "<b>bold</b> step 1"
    )
    media_page.shot("media-lightbox")
    page.keyboard.press("Escape")
    assert lightbox.is_hidden()

    page.locator("[data-testid=media-table] img").first.click()
    assert lightbox.is_visible()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=media-lightbox] img').naturalWidth === 16"
    )
    lightbox.locator(".lightbox-close").click()
    assert lightbox.is_hidden()


def test_one_column_per_selected_run_and_histograms_overlaid(media_page):
    ids = {name: log_rich_run("pair", name, offset) for name, offset in (("one", 0), ("two", 3))}
    media_page.open(project="pair")
    page = media_page.page
    cells = page.locator("[data-testid=media-key][data-key=samples] [data-testid=media-cell]")
    assert cells.evaluate_all("c => c.map(n => n.dataset.runId)") == [ids["one"], ids["two"]]
    media_page.wait_images_loaded("[data-testid=media-key] img", 2)
    assert page.locator("[data-testid=media-table-run]").count() == 2
    legend = page.locator("[data-testid=media-histogram] .histogram-legend").inner_text()
    assert "one" in legend and "two" in legend
    assert page.locator("[data-testid=histogram-run]").count() == 2

    page.locator(
        f"[data-testid=run-item][data-run-id='{ids['two']}'] [data-testid=run-checkbox]"
    ).uncheck()
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=media-key] [data-testid=media-cell]')"
        ".length === 1"
    )
    assert cells.first.get_attribute("data-run-id") == ids["one"]
    assert page.locator("[data-testid=media-table-run]").count() == 1
    assert page.locator("[data-testid=histogram-run]").count() == 1
    assert "two" not in page.locator("[data-testid=media-histogram] .histogram-legend").inner_text()


def test_large_table_is_paginated_and_sorted_by_the_server(media_page):
    trackio.init(project="big", name="wide")
    trackio.log(
        {
            "samples": trackio.Table(
                columns=["text", "score"],
                data=[[f"row {i}", float((i * 7919) % 10_000)] for i in range(10_000)],
            )
        }
    )
    trackio.finish()
    media_page.open(project="big")
    page = media_page.page
    table = page.locator("[data-testid=media-table][data-key=samples]")
    rows = table.locator("tbody tr")
    assert rows.count() == 50
    info = table.locator("[data-testid=media-table-info]")
    assert info.inner_text() == "rows 1–50 of 10,000"

    started = time.monotonic()
    table.locator("button", has_text="Next").click()
    media_page.wait_table_info("rows 51")
    assert rows.first.locator("td").nth(1).inner_text() == "row 50"
    table.locator("th button[data-column=score]").click()
    table.locator("th button[data-column=score]").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=media-table] th[aria-sort=descending]')"
    )
    media_page.wait_table_info("rows 1–")
    assert rows.first.locator("td").nth(2).inner_text() == "9,999"
    assert rows.count() == 50
    assert time.monotonic() - started < 5
    table.locator("button[title='Last page']").click()
    media_page.wait_table_info("rows 9,951–10,000 of 10,000", exact=True)
    assert rows.last.locator("td").nth(2).inner_text() == "0"


def test_hundred_images_show_quickly(media_page):
    runs = 4
    for index in range(runs):
        trackio.init(project="many", name=f"run{index}")
        for key in range(25):
            trackio.log({f"img/{key:02d}": trackio.Image(solid((key * 10, index * 60, 90)))})
        trackio.finish()
    started = time.monotonic()
    media_page.open(project="many")
    page = media_page.page
    assert page.locator("[data-testid=media-key]").count() == 25
    assert page.locator("[data-testid=media-key] img[loading=lazy]").count() == 100
    page.wait_for_function("window.__trackio.media.images >= 8")
    first_screen = time.monotonic() - started
    content = page.locator("main.content")
    for _ in range(40):
        if media_page.hooks()["images"] == 100:
            break
        content.evaluate("node => node.scrollBy(0, 900)")
        page.wait_for_timeout(50)
    page.wait_for_function("window.__trackio.media.images === 100")
    assert first_screen < 5, f"first images took {first_screen:.1f}s"
    assert time.monotonic() - started < 15


def test_audio_and_video_play_inline(media_page):
    trackio.init(project="av", name="clip")
    tone = np.sin(2 * np.pi * 440 * np.arange(8_000) / 8_000).astype(np.float32) * 0.5
    frames = np.zeros((8, 3, 32, 48), dtype=np.uint8)
    for t in range(8):
        frames[t, 0] = 30 * t
    trackio.log(
        {
            "speech": trackio.Audio(tone, sample_rate=8_000, caption="a <b>tone</b>"),
            "rollout": trackio.Video(frames, fps=4, format="webm"),
        }
    )
    trackio.finish()
    media_page.open(project="av")
    page = media_page.page
    audio = page.locator("[data-testid=media-key][data-key=speech] audio")
    assert audio.get_attribute("controls") is not None
    page.wait_for_function("a => a.readyState >= 1", arg=audio.element_handle())
    assert audio.evaluate("a => a.duration") == pytest.approx(1.0, abs=0.05)
    assert page.locator("[data-testid=media-key][data-key=speech] figcaption").inner_text() == (
        "a <b>tone</b>"
    )
    video = page.locator("[data-testid=media-key][data-key=rollout] video")
    assert video.get_attribute("controls") is not None
    page.wait_for_function("v => v.readyState >= 1", arg=video.element_handle())
    assert video.evaluate("v => [v.videoWidth, v.videoHeight]") == [48, 32]


def test_image_logged_after_the_page_opened_appears(media_page):
    run = trackio.init(project="live-media", name="training")
    trackio.log({"samples": trackio.Image(solid(STEP_COLORS[0]))}, step=0)
    dict(run.summary)
    media_page.open(project="live-media")
    page = media_page.page
    block = page.locator("[data-testid=media-key][data-key=samples]")
    assert block.get_attribute("data-step") == "0"

    trackio.log({"samples": trackio.Image(solid(STEP_COLORS[1]), caption="new")}, step=1)
    dict(run.summary)
    media_page.wait_step("samples", 1, timeout=10_000)
    media_page.wait_images_loaded("[data-testid=media-key][data-key=samples] img", 1)
    assert block.locator("img").evaluate(IMAGE_PIXEL) == list(STEP_COLORS[1])
    assert block.locator("[data-testid=media-caption]").inner_text() == "new"
    trackio.finish()


def test_a_project_without_media_says_so(media_page):
    trackio.init(project="scalars", name="plain")
    trackio.log({"loss": 1.0})
    trackio.finish()
    media_page.open(project="scalars")
    message = media_page.page.locator("[data-testid=media-empty]")
    assert message.is_visible()
    assert "No media logged yet" in message.inner_text()
    media_page.page.locator("[data-testid=view-charts]").click()
    media_page.page.wait_for_function("window.__trackio.chartsDrawn === 1")
    assert message.is_hidden()


def test_media_tab_is_in_the_url_and_catches_up_after_charts(media_page):
    run = trackio.init(project="tabs", name="training")
    trackio.log({"samples": trackio.Image(solid(STEP_COLORS[0])), "loss": 1.0}, step=0)
    dict(run.summary)
    page = media_page.page
    page.goto(f"{media_page.base_url}?project=tabs")
    page.wait_for_function("window.__trackio.ready && window.__trackio.chartsDrawn === 1")
    assert page.locator("[data-testid=media-view]").is_hidden()

    page.locator("[data-testid=view-media]").click()
    media_page.wait_settled()
    assert "view=media" in page.url
    block = page.locator("[data-testid=media-key][data-key=samples]")
    assert block.get_attribute("data-step") == "0"
    assert page.locator("[data-testid=chart]").first.is_hidden()

    page.locator("[data-testid=view-charts]").click()
    trackio.log({"samples": trackio.Image(solid(STEP_COLORS[2])), "loss": 0.5}, step=2)
    dict(run.summary)
    page.wait_for_function(
        "id => (window.__trackio.charts.loss || {runs: {}}).runs[id] === 2",
        arg=run.id,
        timeout=10_000,
    )
    page.locator("[data-testid=view-media]").click()
    media_page.wait_step("samples", 2)
    media_page.wait_images_loaded("[data-testid=media-key][data-key=samples] img", 1)
    assert block.locator("img").evaluate(IMAGE_PIXEL) == list(STEP_COLORS[2])
    trackio.finish()
