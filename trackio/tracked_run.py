"""`Run`: what `trackio.init()` returns; logs values, holds config and summary."""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from trackio.run_config import Config
from trackio.run_summary import Summary
from trackio.storage import open_store
from trackio.storage.chunks import INT64_MAX
from trackio.storage.errors import NotFoundError
from trackio.storage.summary import SUMMARY_MODES
from trackio.values import prepare_row
from trackio.writer import NullWriter, RunTarget, WriteError, Writer

_SYNC_ATTEMPTS = 3


class Run:
    """One tracked run. Create it with `trackio.init()`, not directly.

    Attributes wandb users reach for are here: `project`, `name`, `id`, `group`,
    `config`, `summary`, `step`, and the methods `log`, `define_metric` and `finish`.
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
        self._log_calls += 1
        if row:
            self._put((self._target, step, time.time(), row))

    def _skip(self, key: str, value: Any, reason: str) -> None:
        self._warn_once(
            f"skip:{key}:{type(value).__name__}",
            f"log() skipped key {key!r}: {reason}; the rest of the call was logged",
        )

    def _warn_once(self, topic: str, message: str) -> None:
        if topic not in self._warned:
            self._warned.add(topic)
            warnings.warn(message, UserWarning, stacklevel=4)

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
            status = "finished" if not exit_code else "failed"
            self._writer.submit(self._target, "finish", (status, exit_code, time.time()))
            self._sync()
        finally:
            if self._on_finish is not None:
                self._on_finish(self)

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

    @property
    def disabled(self) -> bool:
        """Always True: every call does nothing."""
        return True

    def _compute_summary(self) -> dict[str, Any]:
        return dict(self._summary_overrides)


def _as_step(step: Any) -> int:
    if isinstance(step, bool) or not hasattr(step, "__index__"):
        raise TypeError(f"step must be an integer, got {type(step).__name__}")
    value = step.__index__()
    if not 0 <= value <= INT64_MAX:
        raise ValueError(f"step must be between 0 and {INT64_MAX}, got {value}")
    return value
