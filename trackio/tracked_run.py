"""`Run`: what `trackio.init()` returns; logs values, holds config and summary."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import quote, urlencode

from trackio.artifacts import unsupported
from trackio.run_config import Config
from trackio.run_summary import Summary
from trackio.storage import open_store
from trackio.storage.chunks import INT64_MAX
from trackio.storage.errors import NotFoundError, StoreError
from trackio.storage.summary import SUMMARY_MODES
from trackio.values import RESERVED_STEP_KEY, STORED_STEP_KEY, prepare_row
from trackio.writer import NullWriter, RunTarget, WriteError, Writer

if TYPE_CHECKING:
    from trackio.saved_files import SavedFiles

_SYNC_ATTEMPTS = 3


class Run:
    """One tracked run. Create it with `trackio.init()`, not directly.

    Attributes wandb users reach for are here: `project`, `name`, `id`, `group`,
    `config`, `summary`, `step`, `dir`, `url`, and the methods `log`, `define_metric`,
    `save`, `watch`, `unwatch` and `finish`.
    """

    def __init__(
        self,
        *,
        project: str,
        name: str,
        run_id: str,
        target: RunTarget,
        writer: Writer,
        group: str | None = None,
        job_type: str | None = None,
        tags: list[str] | None = None,
        notes: str | None = None,
        config: Mapping[str, Any] | None = None,
        summary_overrides: dict[str, Any] | None = None,
        metric_defs: dict[str, dict[str, Any]] | None = None,
        start_step: int = 0,
        space_id: str | None = None,
        server_url: str | None = None,
        on_finish: Callable[[Run], None] | None = None,
    ) -> None:
        self.project = project
        self.name = name
        self.id = run_id
        self.group = group
        self.job_type = job_type
        self.tags = list(tags or [])
        self.notes = notes
        self._space_id = space_id
        self._server_url = server_url
        self._step = start_step
        self._highest_step = start_step - 1
        self._finished = False
        self._closed_reason = "is finished"
        self._on_finish = on_finish
        self._warned: set[str] = set()
        self._metric_defs = dict(metric_defs or {})
        self._summary_overrides = dict(summary_overrides or {})
        self._log_calls = 0
        self._saved: SavedFiles | None = None
        self._watching = False
        self._sampling_system = False
        self._alerted: dict[str, float] = {}
        self._webhook_url: str | None = None
        self._webhooks_used = False
        self._target = target
        self._writer = writer
        # Bound once here: log() is the hot path, and attribute lookups show in its cost.
        self._put = writer.put
        self.config = Config(config, on_change=self._submitter("config"))
        self.summary = Summary(
            self._compute_summary,
            self._summary_overrides,
            self._submitter("summary"),
            version=lambda: self._log_calls,
        )

    def _submitter(self, operation: str) -> Callable[[str], None]:
        writer, target = self._writer, self._target

        def submit(payload: str) -> None:
            writer.submit(target, operation, payload)

        return submit

    @property
    def step(self) -> int:
        """The step the next `log()` without an explicit step goes to."""
        return self._step

    @property
    def disabled(self) -> bool:
        """True for a run made with `mode="disabled"`: every call does nothing."""
        return False

    @property
    def dir(self) -> str:
        """The run's folder for files (`<project>.media/<run id>/files/`), created on
        first use, as wandb's `run.dir`: files written here, or saved with `save()`,
        are kept with the run, listed by `Api` and served by the dashboard."""
        folder = self._saved_files().folder
        folder.mkdir(parents=True, exist_ok=True)
        return str(folder)

    @property
    def url(self) -> str | None:
        """The dashboard URL showing this run: that of a dashboard this process serves
        (`trackio.show(block=False)`), else where `trackio show` serves by default."""
        from trackio.dashboard_links import run_token, run_url

        if self._target.server is not None:
            query = urlencode({"project": self.project, "runs": self.id}, quote_via=quote)
            return f"{self._target.server}/?{query}"
        others: list[tuple[str, str]] = []
        try:
            with open_store(self.project, directory=self._target.directory) as store:
                others = [(r.name, r.run_id) for r in store.list_runs() if r.run_id != self.id]
        except (NotFoundError, StoreError):
            pass  # the file is gone or busy: name the run as if it were alone
        return run_url(self.project, run_token(self.name, self.id, others))

    def _saved_files(self) -> SavedFiles:
        if self._saved is None:
            from trackio.saved_files import SavedFiles, run_files_dir

            self._saved = SavedFiles(run_files_dir(self.project, self.id, self._target.directory))
        return self._saved

    def save(
        self, glob_str: Any = None, base_path: Any = None, policy: str = "live"
    ) -> list[str] | bool:
        """Copy the files matching `glob_str` into `run.dir`, as `wandb.save` does;
        returns the paths of the copies.

        Paths inside `run.dir` are those relative to `base_path` (default: the
        current directory; for an absolute `glob_str`, the folder before its first
        wildcard, so the files keep their names only). `policy` is `"live"` (copy
        now and again when the run finishes, so the final version is kept), `"now"`
        (copy once, now) or `"end"` (copy when the run finishes). A pattern matching
        no file warns and returns `[]`. Without arguments, as wandb's old
        `run.save()`, it does nothing and returns True.
        """
        return self._save(glob_str, base_path, policy, stacklevel=4)

    def _save(
        self, glob_str: Any, base_path: Any, policy: str, stacklevel: int
    ) -> list[str] | bool:
        if glob_str is None:
            return True
        if self._finished:
            self._warn_once(
                "save-finished", f"run {self.name!r} {self._closed_reason}; save() is ignored"
            )
            return []
        return self._saved_files().save(glob_str, base_path, policy, stacklevel=stacklevel)

    def watch(
        self,
        models: Any = None,
        criterion: Any = None,
        log: str | None = "gradients",
        log_freq: int = 1000,
        idx: int | None = None,
        log_graph: bool = False,
        *,
        model: Any = None,
    ) -> None:
        """Log histograms of a PyTorch model's gradients and/or parameters, as
        `wandb.watch` does: `gradients/<name>` every `log_freq` backward passes,
        `parameters/<name>` every `log_freq` training forward passes, as
        `trackio.Histogram` values in this run's rows.

        `models` is a `torch.nn.Module` or a list of them (`model=` works too); `log`
        is `"gradients"`, `"parameters"`, `"all"` or None. With several models, or
        on later calls, names get a `graph_<idx>/` prefix. `criterion` and
        `log_graph` are accepted; model graphs are not drawn. The hooks are removed
        by `unwatch()` or when the run finishes.
        """
        self._watch(models, criterion, log, log_freq, idx, log_graph, model, stacklevel=4)

    def _watch(
        self,
        models: Any,
        criterion: Any,
        log: str | None,
        log_freq: int,
        idx: int | None,
        log_graph: bool,
        model: Any,
        stacklevel: int,
    ) -> None:
        from trackio.model_watch import watch

        if models is None:
            models = model
        if models is None:
            raise TypeError("watch() needs a model")
        if self._finished:
            self._warn_once(
                "watch-finished",
                f"run {self.name!r} {self._closed_reason}; watch() is ignored",
                stacklevel=stacklevel,
            )
            return
        self._watching = True
        watch(self, models, criterion, log, log_freq, idx, log_graph, stacklevel=stacklevel)

    def unwatch(self, models: Any = None) -> None:
        """Remove the hooks `watch()` put on `models` (one or a list) for this run, or
        on every model when None."""
        if self._watching:
            from trackio.model_watch import unwatch

            unwatch(models, run=self)

    def log_artifact(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Not supported: raises `NotImplementedError` saying what to use instead
        (`save()` for files; `Table`, `Image` and the other media for values)."""
        unsupported("run.log_artifact()")

    def use_artifact(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Not supported: raises `NotImplementedError` (see `log_artifact`)."""
        unsupported("run.use_artifact()")

    def link_artifact(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Not supported: raises `NotImplementedError` (see `log_artifact`)."""
        unsupported("run.link_artifact()")

    def log(
        self,
        data: Mapping[str, Any],
        step: int | None = None,
        commit: bool | None = None,
        **kwargs: Any,
    ) -> None:
        """Log a dict of metrics, as `wandb.log` does.

        Without `step`, values go to the current step, which then advances unless
        `commit=False`. With `step`, values go to that step; later calls with the
        same step add to the same row. Nested dicts become `outer/inner` keys.
        Values may be bool, int, float (NaN and inf included), str, or numpy/torch
        scalars; a value of another type is skipped with a warning.
        """
        if type(data) is not dict and not isinstance(data, Mapping):
            raise TypeError(
                f"log() takes a dict of metric names to values, got {type(data).__name__}"
            )
        if kwargs:
            self._warn_once("log-kwargs", f"log() ignores the arguments {sorted(kwargs)}")
        if self._finished:
            self._warn_once(
                "finished", f"run {self.name!r} {self._closed_reason}; log() is ignored"
            )
            return
        if step is None:
            step = self._step
            if commit is not False:
                self._step = step + 1
        else:
            step = _as_step(step)
            if commit:
                self._step = max(self._step, step + 1)
            elif step > self._step:
                self._step = step
        if step < self._highest_step:
            self._warn_once(
                "lower-step",
                f"step {step} is lower than step {self._highest_step} logged before; "
                "it is stored anyway (this warning is shown once per run)",
            )
        else:
            self._highest_step = step
        row = prepare_row(data, self._skip)
        if RESERVED_STEP_KEY in row:
            self._rename_step_metric(row)
        self._log_calls += 1
        if row:
            self._put((self._target, step, time.time(), row))

    def log_system(self, metrics: Mapping[str, Any]) -> None:
        """Log system metrics (numbers: `{"gpu/0/power": 210.5}`, the PyPI trackio's
        names) at this moment of wall time, apart from the training metrics; what the
        background sampler logs is stored the same way."""
        from trackio.system.sampler import now_step, system_row

        if type(metrics) is not dict and not isinstance(metrics, Mapping):
            raise TypeError(f"log_system() takes a dict, got {type(metrics).__name__}")
        if self._finished:
            self._warn_once(
                "finished", f"run {self.name!r} {self._closed_reason}; log_system() is ignored"
            )
            return
        row = prepare_row(metrics, self._skip)
        numbers = {}
        for key, value in row.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                numbers[key] = value
            else:
                self._skip(key, value, "a system metric must be a number")
        if numbers:
            stamp = time.time()
            self._put((self._target, now_step(stamp), stamp, system_row(numbers)))

    def alert(
        self,
        title: str,
        text: str | None = None,
        level: Any = "WARN",
        step: int | None = None,
        wait_duration: Any = None,
        webhook_url: str | None = None,
    ) -> None:
        """Raise an alert, as `wandb.alert`: printed on the terminal, stored with the run
        at `step` (default: the last step logged) and now, and POSTed to the webhook
        (`webhook_url`, else `init(webhook_url=...)`, else `TRACKIO_WEBHOOK_URL`) when
        its level is at least `TRACKIO_WEBHOOK_MIN_LEVEL`. `level` is `"INFO"`,
        `"WARN"` or `"ERROR"`. With `wait_duration` (seconds or a `timedelta`), an alert
        with the same title raised sooner after the last one is dropped."""
        from trackio.alerts.levels import alert_level

        if not isinstance(title, str) or not title.strip():
            raise ValueError(f"alert() needs a title (a non-empty string), got {title!r}")
        if text is not None and not isinstance(text, str):
            text = str(text)
        level = alert_level(level)
        wait = getattr(wait_duration, "total_seconds", lambda: wait_duration)()
        if wait is not None and (not isinstance(wait, (int, float)) or wait < 0):
            raise ValueError(f"wait_duration must be seconds or a timedelta, got {wait_duration!r}")
        if self._finished:
            self._warn_once(
                "finished", f"run {self.name!r} {self._closed_reason}; alert() is ignored"
            )
            return
        now = time.time()
        last = self._alerted.get(title)
        if wait is not None and last is not None and now - last < wait:
            return
        self._alerted[title] = now
        if step is None:
            step = self._highest_step if self._highest_step >= 0 else None
        else:
            step = _as_step(step)
        print(
            f"trackio: [{level}] {title}" + (f": {text}" if text else ""),
            file=sys.stderr,
            flush=True,
        )
        alert = {"title": title, "text": text, "level": level, "step": step, "time": now}
        self._writer.submit(self._target, "alert", json.dumps(alert))
        self._send_to_webhook(alert, webhook_url)

    def _send_to_webhook(self, alert: dict[str, Any], webhook_url: str | None) -> None:
        from trackio.alerts.levels import alert_level, at_least

        url = webhook_url or self._webhook_url or os.environ.get("TRACKIO_WEBHOOK_URL")
        if not url:
            return
        try:
            minimum = alert_level(os.environ.get("TRACKIO_WEBHOOK_MIN_LEVEL") or "INFO")
        except ValueError as error:
            self._warn_once("webhook-level", f"TRACKIO_WEBHOOK_MIN_LEVEL is ignored: {error}")
            minimum = "INFO"
        if not at_least(alert["level"], minimum):
            return
        from trackio.alerts.webhooks import sender

        self._webhooks_used = True
        sender().send(url, {**alert, "project": self.project, "run": self.name, "run_id": self.id})

    def _rename_step_metric(self, row: dict[str, Any]) -> None:
        # `step` in a history row is the row's own step, so a metric of that name would
        # never be seen; the PyPI trackio stores it as `__step` too.
        self._warn_once(
            "step-metric",
            f"log() stores the metric {RESERVED_STEP_KEY!r} as {STORED_STEP_KEY!r}, because "
            f"{RESERVED_STEP_KEY!r} in history rows is the row's step (shown once per run)",
            stacklevel=5,
        )
        row[STORED_STEP_KEY] = row.pop(RESERVED_STEP_KEY)

    def _skip(self, key: str, value: Any, reason: str) -> None:
        self._warn_once(
            f"skip:{key}:{type(value).__name__}",
            f"log() skipped key {key!r}: {reason}; the rest of the call was logged",
        )

    def _warn_once(self, topic: str, message: str, stacklevel: int = 4) -> None:
        if topic not in self._warned:
            self._warned.add(topic)
            warnings.warn(message, UserWarning, stacklevel=stacklevel)

    def define_metric(
        self,
        name: str,
        step_metric: str | None = None,
        *,
        summary: str | None = None,
        goal: str | None = None,
        hidden: bool | None = None,
        step_sync: bool | None = None,
        overwrite: bool | None = None,
        **kwargs: Any,
    ) -> None:
        """Say how a metric is summarised (`summary="min"|"max"|"mean"|"last"|"first"|"none"`)
        and which metric is its x axis (`step_metric`), as `wandb.define_metric` does."""
        if summary is not None:
            modes = [mode.strip() for mode in summary.split(",")]
            unknown = [mode for mode in modes if mode not in SUMMARY_MODES]
            if unknown:
                raise ValueError(
                    f"define_metric summary {unknown[0]!r} is not one of {SUMMARY_MODES}"
                )
            summary = modes[0]
        definition = {
            key: value
            for key, value in {
                "step_metric": step_metric,
                "summary": summary,
                "goal": goal,
                "hidden": hidden,
            }.items()
            if value is not None
        }
        self._metric_defs[name] = {**self._metric_defs.get(name, {}), **definition}
        self.summary.invalidate()
        self._writer.submit(self._target, "metric_defs", json.dumps(self._metric_defs))

    def _compute_summary(self) -> dict[str, Any]:
        self._sync()
        try:
            with open_store(self.project, directory=self._target.directory) as store:
                record = store.get_run(self.id)
                record.metric_defs = self._metric_defs
                record.summary_overrides = self._summary_overrides
                return store.summary(record)
        except NotFoundError:
            return dict(self._summary_overrides)

    def _sync(self) -> None:
        for attempt in range(_SYNC_ATTEMPTS):
            try:
                self._writer.sync()
                return
            except WriteError:
                if attempt == _SYNC_ATTEMPTS - 1:
                    raise

    def finish(self, exit_code: int | None = None, quiet: bool | None = None) -> None:
        """End the run: write everything logged, then mark it finished
        (or failed when `exit_code` is non-zero). Calling it again does nothing."""
        if self._finished:
            return
        self._finished = True
        try:
            if self._sampling_system:
                from trackio.system.sampler import sampler

                sampler().remove(self)
            if self._watching:
                self.unwatch()
            if self._saved is not None:
                self._saved.finish()
            status = "finished" if not exit_code else "failed"
            self._writer.submit(self._target, "finish", (status, exit_code, time.time()))
            self._sync()
            if self._webhooks_used:
                from trackio.alerts.webhooks import sender

                sender().flush(timeout=10.0)
            if self._target.server is not None:
                self._deliver(self._target.server)
        finally:
            if self._on_finish is not None:
                self._on_finish(self)

    def _deliver(self, server: str) -> None:
        """Wait a bounded time (`TRACKIO_FINISH_TIMEOUT`, 30 s) for the spooled values to
        reach the server, then say what is left and how it will be sent."""
        timeout = float(os.environ.get("TRACKIO_FINISH_TIMEOUT", "30"))
        batches, values, refused = self._writer.deliver(server, timeout)
        if refused:
            print(
                f"* trackio: {server} refused {refused} values as malformed or too large; they "
                "are kept, set aside, in the local spool (see the messages above)",
                file=sys.stderr,
            )
        if batches:
            print(
                f"* trackio: {values} values ({batches} batches) of run {self.name!r} are not yet "
                f"on {server}; they stay in the local spool and are sent by the next trackio "
                "process logging there, or by `trackio sync --pending`",
                file=sys.stderr,
            )

    def _detach_after_fork(self) -> None:
        self._finished = True
        self._closed_reason = (
            "belongs to the parent of this forked process; call trackio.init() here to log"
        )

    def __enter__(self) -> Run:
        return self

    def __exit__(self, exc_type: Any, exc: Any, traceback: Any) -> None:
        self.finish(exit_code=1 if exc_type is not None else None)

    def __repr__(self) -> str:
        return f"Run(project={self.project!r}, name={self.name!r}, id={self.id!r})"


class DisabledRun(Run):
    """What `init(mode="disabled")` returns: a run with the same surface whose writer is
    a `NullWriter`, so every call is checked as usual and nothing is stored."""

    def __init__(
        self,
        *,
        project: str,
        name: str,
        run_id: str,
        config: Mapping[str, Any] | None = None,
        on_finish: Callable[[Run], None] | None = None,
    ) -> None:
        super().__init__(
            project=project,
            name=name,
            run_id=run_id,
            target=RunTarget(project, Path(), run_id),
            writer=NullWriter(),
            config=config,
            on_finish=on_finish,
        )
        self._temporary_dir: str | None = None

    @property
    def disabled(self) -> bool:
        """Always True: every call does nothing."""
        return True

    @property
    def dir(self) -> str:
        """A temporary folder, so code writing files to `run.dir` still works; nothing
        written there is kept with a run."""
        if self._temporary_dir is None:
            self._temporary_dir = tempfile.mkdtemp(prefix="trackio-disabled-")
        return self._temporary_dir

    @property
    def url(self) -> str | None:
        """None: a disabled run is not shown anywhere."""
        return None

    def _save(
        self, glob_str: Any, base_path: Any, policy: str, stacklevel: int
    ) -> list[str] | bool:
        from trackio.saved_files import SAVE_POLICIES

        if policy not in SAVE_POLICIES:
            raise ValueError(f"save() policy must be one of {SAVE_POLICIES}, got {policy!r}")
        return True if glob_str is None else []

    def _compute_summary(self) -> dict[str, Any]:
        return dict(self._summary_overrides)


def _as_step(step: Any) -> int:
    if isinstance(step, bool) or not hasattr(step, "__index__"):
        raise TypeError(f"step must be an integer, got {type(step).__name__}")
    value = step.__index__()
    if not 0 <= value <= INT64_MAX:
        raise ValueError(f"step must be between 0 and {INT64_MAX}, got {value}")
    return value
