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
from trackio.alerts.levels import AlertLevel
from trackio.api import Api
from trackio.artifacts import Artifact, unsupported
from trackio.imports import import_csv, import_tf_events
from trackio.launcher import show
from trackio.media import Audio, Histogram, Image, Table, Video
from trackio.session import current_run, finish, init, pending_config
from trackio.settings import Settings
from trackio.tracked_run import Run

__version__ = "0.1.0"

__all__ = [
    "AlertLevel",
    "alert",
    "Api",
    "Artifact",
    "Audio",
    "Histogram",
    "Image",
    "Table",
    "Video",
    "Run",
    "Settings",
    "context_vars",
    "define_metric",
    "delete_project",
    "deploy_as_space",
    "finish",
    "freeze",
    "import_csv",
    "import_tf_events",
    "init",
    "log",
    "log_artifact",
    "log_gpu",
    "log_system",
    "login",
    "save",
    "show",
    "sync",
    "unwatch",
    "use_artifact",
    "watch",
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


def alert(
    title: str,
    text: str | None = None,
    level: Any = "WARN",
    step: int | None = None,
    wait_duration: Any = None,
    webhook_url: str | None = None,
) -> None:
    """Raise an alert on the current run, as `wandb.alert`; see `Run.alert`."""
    _require_run("alert()").alert(title, text, level, step, wait_duration, webhook_url)


def log_system(metrics: Mapping[str, Any]) -> None:
    """Log system metrics (numbers, under names such as `gpu/0/power`) to the current
    run at this moment of wall time; see `Run.log_system`."""
    _require_run("log_system()").log_system(metrics)


def log_gpu(run: Run | None = None, device: int | None = None) -> dict[str, float]:
    """Read the visible NVIDIA GPUs now (`nvidia-ml-py`), log the reading as system
    metrics of `run` (default: the current one) and return it; only GPU `device`'s
    values (and no aggregates) when given. Empty, with a warning, without a GPU."""
    import warnings

    from trackio.system.sampler import sampler

    target = run if run is not None else _require_run("log_gpu()")
    probe = sampler().probe("gpu")
    if probe is None:
        warnings.warn(
            "trackio.log_gpu() found no NVIDIA GPU to read (it needs nvidia-ml-py, a driver "
            "and a visible GPU)",
            UserWarning,
            stacklevel=2,
        )
        return {}
    reading = probe.read()
    if device is not None:
        reading = {k: v for k, v in reading.items() if k.startswith(f"gpu/{device}/")}
    target.log_system(reading)
    return reading


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


def save(glob_str: Any = None, base_path: Any = None, policy: str = "live") -> list[str] | bool:
    """Copy the files matching `glob_str` into the current run's folder (`run.dir`) and
    return the copies' paths, as `wandb.save`; see `Run.save`."""
    return _require_run("save()")._save(glob_str, base_path, policy, stacklevel=4)


def watch(
    models: Any = None,
    criterion: Any = None,
    log: str | None = "gradients",
    log_freq: int = 1000,
    idx: int | None = None,
    log_graph: bool = False,
    *,
    model: Any = None,
) -> None:
    """Log histograms of a PyTorch model's gradients and/or parameters to the current
    run every `log_freq` steps, as `wandb.watch`; see `Run.watch`."""
    _require_run("watch()")._watch(
        models, criterion, log, log_freq, idx, log_graph, model, stacklevel=4
    )


def unwatch(model: Any = None, *, models: Any = None) -> None:
    """Remove the hooks `watch()` put on `model` (one or a list; every watched model
    when None), whichever run they log to."""
    import trackio.model_watch as watching

    watching.unwatch(model if model is not None else models)


def log_artifact(*args: Any, **kwargs: Any) -> Any:
    """Not supported: raises `NotImplementedError` saying what to use instead
    (`trackio.save` for files; `Table`, `Image` and the other media for values)."""
    unsupported("trackio.log_artifact()")


def use_artifact(*args: Any, **kwargs: Any) -> Any:
    """Not supported: raises `NotImplementedError` (see `log_artifact`)."""
    unsupported("trackio.use_artifact()")


def sync(
    project: str,
    space_id: str | None = None,
    private: bool | None = None,
    force: bool = False,
    run_in_background: bool = False,
    sdk: str = "gradio",
    dataset_id: str | None = None,
    bucket_id: str | None = None,
) -> str:
    """Send the local project `project` to the Hugging Face Space `space_id` (default
    `TRACKIO_SPACE_ID`), made when missing; returns the Space's full id. Sending again
    sends nothing twice. `sdk="static"` publishes a read-only static snapshot instead.
    Needs `trackio[hub]`."""
    from trackio.hub.sync import sync as sync_project

    return sync_project(
        project, space_id, private, force, run_in_background, sdk, dataset_id, bucket_id
    )


def deploy_as_space(
    space_id: str,
    space_storage: Any = None,
    dataset_id: str | None = None,
    bucket_id: str | None = None,
    private: bool | None = None,
) -> None:
    """Create or update the Hugging Face Space `space_id` running this trackio's server,
    its projects kept in the Dataset `dataset_id` (default `<space_id>-dataset`) or the
    storage bucket `bucket_id`. Needs `trackio[hub]`."""
    from trackio.hub.sync import deploy_as_space as deploy

    deploy(space_id, space_storage, dataset_id, bucket_id, private)


def freeze(
    space_id: str,
    project: str,
    new_space_id: str | None = None,
    private: bool | None = None,
    bucket_id: str | None = None,
    frontend_dir: Any = None,
) -> str:
    """Publish a read-only static snapshot of `project`, as the live Hugging Face Space
    `space_id` stores it, as the static Space `new_space_id` (default
    `<space_id>_static`); returns its full id. The live Space is not changed. For a
    local project use `trackio freeze --project P --space-id ID` or `--output DIR`.
    `bucket_id` and `frontend_dir` are accepted for the PyPI trackio's signature and
    change nothing. Needs `trackio[hub]`."""
    import warnings

    from trackio.hub.static_space import freeze_space

    for key, value in (("bucket_id", bucket_id), ("frontend_dir", frontend_dir)):
        if value is not None:
            warnings.warn(
                f"trackio.freeze() ignores {key}={value!r}: the snapshot is static files "
                "in the Space itself, drawn by this trackio's dashboard",
                UserWarning,
                stacklevel=2,
            )
    return freeze_space(space_id, project, new_space_id, private)


def __getattr__(name: str) -> Any:
    if name == "config":
        run = current_run()
        return run.config if run is not None else pending_config()
    if name == "summary":
        return _require_run("summary").summary
    if name == "run":
        return current_run()
    raise AttributeError(f"module 'trackio' has no attribute {name!r}")
