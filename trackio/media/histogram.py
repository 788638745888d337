"""`trackio.Histogram`: a distribution, binned in the writer thread."""

from __future__ import annotations

import operator
from typing import Any

from trackio.media.base import Encoded, Media, to_numpy

MAX_BINS = 512


class Histogram(Media):
    """A histogram to log: from raw values (`sequence`, binned into `num_bins`; NaN
    and infinite values are left out), or from a precomputed `np_histogram=(counts,
    edges)` as `numpy.histogram` returns it."""

    kind = "histogram"

    def __init__(
        self,
        sequence: Any = None,
        np_histogram: tuple[Any, Any] | None = None,
        num_bins: int = 64,
        **_: Any,
    ) -> None:
        super().__init__(None)
        try:
            num_bins = operator.index(num_bins)
        except TypeError:
            raise TypeError(f"num_bins must be an integer, got {num_bins!r}") from None
        if not 1 <= num_bins <= MAX_BINS:
            raise ValueError(f"num_bins must be between 1 and {MAX_BINS}, got {num_bins}")
        self.num_bins = num_bins
        self._values: Any = None
        self._given: tuple[Any, Any] | None = None
        if np_histogram is not None and sequence is not None:
            raise ValueError("trackio.Histogram takes a sequence or np_histogram, not both")
        if np_histogram is not None:
            self._given = _checked_bins(*np_histogram)
        elif sequence is not None:
            self._values = to_numpy(sequence).astype(float).ravel()
        else:
            raise ValueError("trackio.Histogram needs a sequence or np_histogram")

    @property
    def bins(self) -> list[float]:
        """The bin edges (one more than the counts), as wandb's `Histogram.bins`."""
        return self._binned()[0]

    @property
    def histogram(self) -> list[float]:
        """The count in each bin, as wandb's `Histogram.histogram`."""
        return self._binned()[1]

    def _binned(self) -> tuple[list[float], list[float]]:
        import numpy as np

        if self._given is not None:
            counts, edges = self._given
        else:
            finite = self._values[np.isfinite(self._values)]
            low, high = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
            with np.errstate(over="ignore"):
                spread = high - low
            if not np.isfinite(spread):
                finite = finite / 2
                low, high = low / 2, high / 2
            counts, edges = np.histogram(finite, bins=self.num_bins, range=(low, high))
        return [float(e) for e in edges], [float(c) for c in counts]

    def _encode(self) -> Encoded:
        edges, counts = self._binned()
        return "json", None, {"edges": edges, "counts": counts}


def _checked_bins(counts: Any, edges: Any) -> tuple[Any, Any]:
    import numpy as np

    counts, edges = to_numpy(counts).astype(float), to_numpy(edges).astype(float)
    if counts.ndim != 1 or edges.shape != (len(counts) + 1,):
        raise ValueError("np_histogram must be (counts, edges) with len(edges) = len(counts) + 1")
    if not (np.all(np.isfinite(counts)) and np.all(np.isfinite(edges))):
        raise ValueError("np_histogram counts and edges must be finite")
    if np.any(counts < 0) or np.any(np.diff(edges) < 0):
        raise ValueError("np_histogram counts must be >= 0 and edges must not decrease")
    return counts, edges
