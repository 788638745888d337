"""Projects with system metrics at known values, for the System section's tests."""

from __future__ import annotations

import math
import time

import trackio

STEPS = 10
"""Training steps each run logs (`train/loss`, `lr`)."""
SAMPLES = 5
"""System samples each run logs."""
GAP = 0.25
"""Seconds between two samples."""
SYSTEM = ("system/cpu/utilization", "system/memory/used", "system/gpu/0/utilization")
"""The stored names of the system metrics each sample holds, first-logged first."""


def system_sample(sample: int, index: int) -> dict[str, float]:
    """The `sample`th reading of the `index`th run (PyPI trackio names)."""
    return {
        "cpu/utilization": 10.0 * sample + index,
        "memory/used": 1.5 + index,
        "gpu/0/utilization": 50.0 + sample,
    }


def log_system_project(
    project: str,
    names: tuple[str, ...] = ("alpha", "beta"),
    samples: int = SAMPLES,
    finish: bool = True,
) -> dict[str, trackio.Run]:
    """Runs `names` of `project`, each with `STEPS` training steps and `samples` system
    samples `GAP` seconds apart (the runs' samples interleaved, so they take
    `GAP * (samples - 1)` seconds together), the background sampler off; by name."""
    runs = {
        name: trackio.init(
            project=project,
            name=name,
            auto_log_cpu=False,
            auto_log_gpu=False,
            reinit="create_new",
        )
        for name in names
    }
    for index, run in enumerate(runs.values()):
        for step in range(STEPS):
            run.log({"train/loss": math.exp(-step / 4) + index, "lr": 0.1})
    for sample in range(samples):
        if sample:
            time.sleep(GAP)
        for index, run in enumerate(runs.values()):
            run.log_system(system_sample(sample, index))
    if finish:
        for run in runs.values():
            run.finish()
    return runs
