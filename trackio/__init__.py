"""trackio: a local-first experiment tracker with the wandb API.

    import trackio as wandb

    wandb.init(project="my-project", config={"lr": 1e-3})
    for step in range(100):
        wandb.log({"loss": 1 / (step + 1)})
    wandb.finish()

Values land in a SQLite file per project under `TRACKIO_DIR`
(default `~/.cache/huggingface/trackio`); `trackio show` opens the dashboard.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trackio import context_vars
from trackio.api import Api
from trackio.imports import import_csv, import_tf_events
from trackio.launcher import show
from trackio.media import Audio, Histogram, Image, Table, Video
from trackio.session import current_run, finish, init, pending_config
from trackio.tracked_run import Run

__version__ = "0.1.0"

__all__ = [
    "Api",
    "Audio",
    "Histogram",
    "Image",
    "Table",
    "Video",
    "Run",
    "context_vars",
    "define_metric",
    "delete_project",
    "finish",
    "import_csv",
    "import_tf_events",
    "init",
    "log",
    "login",
    "show",
    "__version__",
]


class NoActiveRunError(AttributeError, RuntimeError):
    """`trackio.summary` (and friends) before `init()`: a `RuntimeError` saying so, and an
    `AttributeError`, so `hasattr(trackio, "summary")` is simply False."""


def _require_run(action: str) -> Run:
    run = current_run()
    if run is None:
        raise NoActiveRunError(f"call trackio.init() before trackio.{action}")
    return run


def log(
    data: Mapping[str, Any] | None = None,
    step: int | None = None,
    commit: bool | None = None,
    *,
    metrics: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> None:
    """Log a dict of metrics to the current run; see `Run.log`. The dict may be passed
    as `data` (wandb's name) or `metrics` (the PyPI trackio's)."""
    # Inlined rather than _require_run(): this is the hot path of every training loop.
    run = current_run()
    if run is None:
        raise RuntimeError("call trackio.init() before trackio.log()")
    if metrics is not None:
        if data is not None:
            raise TypeError("log() takes the metrics as `data` or as `metrics`, not both")
        data = metrics
    if data is None:
        raise TypeError("log() needs a dict of metrics (`data` or `metrics`)")
    run.log(data, step=step, commit=commit, **kwargs)


def login(*args: Any, **kwargs: Any) -> bool:
    """Accepted for wandb compatibility: a local trackio needs no login. Returns True."""
    return True


def delete_project(project: str, force: bool = False) -> bool:
    """Delete `project` and all its runs, as the PyPI trackio's `delete_project` does.

    On a terminal it asks first unless `force`; returns whether it deleted."""
    import sys

    if not force and sys.stdin is not None and sys.stdin.isatty():
        answer = input(f"Delete project {project!r} and all its runs? [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            return False
    Api().delete_project(project)
    return True


def define_metric(name: str, step_metric: str | None = None, **kwargs: Any) -> None:
    """Describe how a metric of the current run is summarised; see `Run.define_metric`."""
    _require_run("define_metric()").define_metric(name, step_metric, **kwargs)


def __getattr__(name: str) -> Any:
    if name == "config":
        run = current_run()
        return run.config if run is not None else pending_config()
    if name == "summary":
        return _require_run("summary").summary
    if name == "run":
        return current_run()
    raise AttributeError(f"module 'trackio' has no attribute {name!r}")
