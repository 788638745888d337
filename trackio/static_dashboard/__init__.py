"""`trackio freeze`: a project's dashboard as static files any web server can host.

The output folder holds the dashboard's own browser app and, under `data/`, what the
JSON API would answer for the project, computed once with the server's own reading
code (series downsampled as the dashboard asks for them):

    index.html, assets/        the built app; index.html names the data folder in
                               <meta name="trackio-static-data" content="data/">
    data/frozen.json           project, when it was frozen, by which trackio
    data/runs.json             /api/runs     data/metrics.json   /api/metrics
    data/media.json            /api/media, its URLs pointing at data/media/ and data/tables/
    data/alerts.json           /api/alerts: every alert, newest first (the page filters)
    data/series/<i>.bin        every run's series of the i-th metric of metrics.json's
                               `metrics` then its `system` list (see `series_files`)
    data/tables/<n>.json       one logged table, all its rows (sorted and paged in the page)
    data/media/<run id>/...    copies of the images, audio and video files shown

Every URL is relative, so the folder works from any path of any static host; with
the meta tag the app reads these files instead of the API and does not poll.
"""

from __future__ import annotations

import html
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from trackio.static_dashboard.media_files import write_media_files
from trackio.static_dashboard.output_folder import MARKER, check_output, marker_content, replacing
from trackio.static_dashboard.series_files import points_per_series, write_series_files

__all__ = ["FrozenDashboard", "freeze_project"]

DATA_FOLDER = "data"
_META = f'<meta name="trackio-static-data" content="{DATA_FOLDER}/" />'


@dataclass(frozen=True)
class FrozenDashboard:
    """What `freeze_project` wrote."""

    project: str
    output: Path
    runs: int
    metrics: int
    media_files: int
    """Copied into `data/media/`."""
    missing_media_files: int
    """Logged, but no longer in the project's media folder: the page says they are missing."""
    points_per_series: int
    size_bytes: int
    """Every file in `output`, together."""
    system_metrics: int = 0
    """System metrics (`system/...`), charted in the page's System section."""


def freeze_project(
    project: str,
    output: Path | str,
    *,
    directory: Path | None = None,
    max_points: int | None = None,
) -> FrozenDashboard:
    """Write a static, read-only dashboard of `project` into the folder `output`.

    The folder can be served by any static web server (`python -m http.server`,
    GitHub Pages, a bucket): the same browser app as `trackio show`, reading files
    computed now instead of a server. Charts keep `max_points` points per series
    (default: what the live dashboard shows with every run in a chart, 50 to 1,000,
    the min/max envelope kept), so a frozen project of any length stays a few MB;
    media files are copied.

    `output` must not exist, be empty, or hold an earlier freeze, which is replaced;
    nothing is written when the project is missing or the folder holds anything else
    (`ProjectNotFoundError`, `FileExistsError`), and a freeze that fails leaves
    `output` as it was. `directory` is where the project is stored (default
    `TRACKIO_DIR`).
    """
    from trackio import __version__
    from trackio.server.alert_list import alert_list
    from trackio.server.reader import ProjectReader
    from trackio.server.responses import json_bytes
    from trackio.storage import open_store

    output = Path(output)
    if max_points is not None and max_points < 1:
        raise ValueError(f"max_points must be at least 1, got {max_points}")
    reader = ProjectReader(open_project=lambda name: open_store(name, directory=directory))
    try:
        store = reader.store(project)
        records = store.list_runs()
        check_output(output)
        app = _built_app()
        metrics = reader.metrics(project)
        system = reader.system_metrics(project)
        points = max_points or points_per_series(len(records))
        with replacing(output) as folder:
            _copy_app(app, folder, project)
            data = folder / DATA_FOLDER
            data.mkdir()
            runs = reader.runs(project)["runs"]
            (data / "runs.json").write_bytes(json_bytes({"runs": runs}))
            listing: dict[str, list[str]] = {"metrics": metrics}
            if system:
                listing["system"] = system
            (data / "metrics.json").write_bytes(json_bytes(listing))
            charted = metrics + system
            write_series_files(reader, project, charted, records, data / "series", points)
            media = write_media_files(store, data)
            (data / "alerts.json").write_bytes(json_bytes({"alerts": alert_list(store)}))
            stamp = marker_content(project, time.time(), __version__)
            (folder / MARKER).write_bytes(json_bytes({**stamp, "points_per_series": points}))
    finally:
        reader.close()
    size = sum(path.stat().st_size for path in output.rglob("*") if path.is_file())
    return FrozenDashboard(
        project,
        output,
        runs=len(records),
        metrics=len(metrics),
        media_files=len(media.copied),
        missing_media_files=len(media.missing),
        points_per_series=points,
        size_bytes=size,
        system_metrics=len(system),
    )


def _built_app() -> Path:
    from trackio.server.app import DASHBOARD_DIR

    if not (DASHBOARD_DIR / "index.html").is_file():
        raise FileNotFoundError(
            "the dashboard's browser app is not built: run `pip install -e .` in a checkout "
            "with Node.js and npm (or `cd frontend && npm run build`)"
        )
    return DASHBOARD_DIR


def _copy_app(app: Path, folder: Path, project: str) -> None:
    """The built browser app, its page titled by the project and pointing at the data."""
    shutil.copytree(app, folder, dirs_exist_ok=True)
    page = (app / "index.html").read_text(encoding="utf-8")
    title = f"<title>{html.escape(project)} · trackio snapshot</title>"
    page = page.replace("<title>trackio</title>", title).replace("</head>", f"{_META}</head>")
    (folder / "index.html").write_text(page, encoding="utf-8")
