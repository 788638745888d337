"""One background thread per process samples the machine for every run that asked,
and queues each reading as a row of that run's system metrics (steps in wall-time
milliseconds), so `log()` never waits on it."""

from __future__ import annotations

import math
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from trackio.system.names import stored_name

DEFAULT_INTERVAL_SECONDS = 10.0
SETTING_OFF = ("0", "false", "no", "off")


def enabled_by_environment() -> bool:
    """False when `TRACKIO_SYSTEM_METRICS` says off."""
    return os.environ.get("TRACKIO_SYSTEM_METRICS", "1").strip().lower() not in SETTING_OFF


def system_row(reading: dict[str, float]) -> dict[str, float]:
    """A reading as the row stored for a run (system metric names)."""
    return {stored_name(name): value for name, value in reading.items()}


def now_step(stamp: float) -> int:
    """The step of a system sample taken at `stamp`: wall-time milliseconds."""
    return int(stamp * 1000)


def _first_due(start: float, every: float) -> float:
    """The first sample's time: on a grid of `every` seconds shared by every run with
    that interval (so one reading serves them all, and `cpu/utilization`, which is
    measured since the previous reading, agrees between them), at least half an
    interval after `start`."""
    due = (math.floor(start / every) + 1) * every
    return due + every if due - start < every / 2 else due


@dataclass
class _Subscription:
    run: Any
    intervals: dict[str, float]
    due: dict[str, float] = field(default_factory=dict)


class SystemSampler:
    """Samples the machine (`"machine"`) and the GPUs (`"gpu"`) for subscribed runs,
    each at its run's interval."""

    def __init__(self) -> None:
        self._subscriptions: dict[int, _Subscription] = {}
        self._probes: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def probe(self, kind: str) -> Any:
        """The probe of `kind`, made once; None when this machine has nothing to read."""
        with self._lock:
            if kind not in self._probes:
                from trackio.system.probes import gpu_probe, machine_probe

                self._probes[kind] = machine_probe() if kind == "machine" else gpu_probe()
            return self._probes[kind]

    def add(self, run: Any, intervals: dict[str, float]) -> list[str]:
        """Sample for `run` the kinds in `intervals` (seconds apart) that can be read
        here; returns those."""
        kept = {kind: every for kind, every in intervals.items() if self.probe(kind) is not None}
        if not kept:
            return []
        start = time.monotonic()
        due = {kind: _first_due(start, every) for kind, every in kept.items()}
        subscription = _Subscription(run, kept, due)
        with self._lock:
            self._subscriptions[id(run)] = subscription
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run_forever, name="trackio-system-metrics", daemon=True
                )
                self._thread.start()
        self._wake.set()
        return sorted(kept)

    def remove(self, run: Any) -> None:
        """Stop sampling for `run`."""
        with self._lock:
            self._subscriptions.pop(id(run), None)
        self._wake.set()

    def _run_forever(self) -> None:
        while True:
            with self._lock:
                subscriptions = list(self._subscriptions.values())
            if not subscriptions:
                self._wake.wait(60.0)
                self._wake.clear()
                continue
            now = time.monotonic()
            earliest = min(min(s.due.values()) for s in subscriptions)
            if earliest > now:
                self._wake.wait(earliest - now)
                self._wake.clear()
                continue
            self._sample_due(subscriptions, now)

    def _sample_due(self, subscriptions: list[_Subscription], now: float) -> None:
        readings: dict[str, dict[str, float]] = {}
        stamp = time.time()
        for subscription in subscriptions:
            row: dict[str, float] = {}
            for kind, due in subscription.due.items():
                if due > now:
                    continue
                if kind not in readings:
                    readings[kind] = self._read(kind)
                row.update(readings[kind])
                every = subscription.intervals[kind]
                while due <= now:
                    due += every
                subscription.due[kind] = due
            if row:
                run = subscription.run
                run._put((run._target, now_step(stamp), stamp, system_row(row)))

    def _read(self, kind: str) -> dict[str, float]:
        try:
            return dict(self.probe(kind).read())
        except Exception:  # noqa: BLE001 - a reading that fails is skipped, never raised
            return {}


_sampler = SystemSampler()


def sampler() -> SystemSampler:
    """The process's sampler."""
    return _sampler
