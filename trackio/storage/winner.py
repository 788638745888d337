"""Which value wins when one (run, metric, step) was written more than once.

The rule, the same for every reader and every backend: **the value logged last
wins**, by the wall-clock time `log()` stamped it with; between values with the
same time, the one written to storage last wins. Commit order alone would let a
slow writer's older value replace a newer one (two processes resuming one run,
the first flushing after the second), so it only breaks ties.

`Api.history()`, the summary, the CLI, exports and the dashboard's series all
read through `latest_per_step`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


def latest_per_step(
    steps: Sequence[int] | np.ndarray, times: Sequence[float] | np.ndarray
) -> np.ndarray:
    """Indices of the winning point of each step, in increasing step order.

    `steps` and `times` are parallel, in the order the points were written.
    """
    import numpy as np

    step_array = np.asarray(steps, dtype=np.int64)
    time_array = np.asarray(times, dtype=np.float64)
    written = np.arange(len(step_array))
    order = np.lexsort((written, time_array, step_array))
    last_of_step = np.ones(len(order), dtype=bool)
    sorted_steps = step_array[order]
    last_of_step[:-1] = sorted_steps[1:] != sorted_steps[:-1]
    return order[last_of_step]


def strictly_increasing(steps: Sequence[int]) -> bool:
    """Whether `steps` need no resolving: every step appears once, in order."""
    if isinstance(steps, range):
        return steps.step > 0
    return all(b > a for a, b in zip(steps, steps[1:], strict=False))
