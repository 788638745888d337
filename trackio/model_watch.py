"""`trackio.watch()`: histograms of a PyTorch model's gradients and parameters, as
`wandb.watch` logs them.

Hooks count calls: a model's forward hook counts training-mode forward passes and
logs `parameters/<name>` every `log_freq`-th one; each parameter's gradient hook
counts backward passes and logs `gradients/<name>` every `log_freq`-th one. Values
go through the run's `log(..., commit=False)`, so they join the row of the step
the training loop logs next. torch is imported only here, when `watch` is called.
"""

from __future__ import annotations

import threading
import warnings
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from trackio.media import Histogram

if TYPE_CHECKING:
    from trackio.tracked_run import Run

WATCH_LOGS = ("gradients", "parameters", "all", None)
HISTOGRAM_BINS = 64


@dataclass
class _Watch:
    run: Run
    model: weakref.ref
    handles: list[Any] = field(default_factory=list)

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()
        self.handles.clear()


_watches: list[_Watch] = []
_next_index: weakref.WeakKeyDictionary[Run, int] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def watch(
    run: Run,
    models: Any,
    criterion: Any = None,
    log: str | None = "gradients",
    log_freq: int = 1000,
    idx: int | None = None,
    log_graph: bool = False,
    stacklevel: int = 2,
) -> None:
    """Register the hooks on `models` (one `torch.nn.Module` or a list) for `run`;
    see `Run.watch`. `stacklevel` says which caller a warning names."""
    if log not in WATCH_LOGS:
        raise ValueError(f"watch() log must be one of {WATCH_LOGS}, got {log!r}")
    if isinstance(log_freq, bool) or not isinstance(log_freq, int) or log_freq < 1:
        raise ValueError(f"watch() log_freq must be a positive integer, got {log_freq!r}")
    if idx is not None and (isinstance(idx, bool) or not isinstance(idx, int) or idx < 0):
        raise ValueError(f"watch() idx must be a non-negative integer, got {idx!r}")
    try:
        import torch
    except ImportError:
        raise ImportError("trackio.watch() needs PyTorch: pip install torch") from None
    listed = list(models) if isinstance(models, (list, tuple)) else [models]
    if not listed:
        raise ValueError("watch() needs at least one model")
    for model in listed:
        if not isinstance(model, torch.nn.Module):
            raise ValueError(f"watch() takes torch.nn.Module models, got {type(model).__name__}")
    if log_graph:
        warnings.warn(
            "trackio.watch() ignores log_graph=True: trackio does not draw model graphs",
            UserWarning,
            stacklevel=stacklevel,
        )
    if log is None or run.disabled:
        return
    unwatch(listed)
    with _lock:
        first = idx if idx is not None else _next_index.get(run, 0)
        _next_index[run] = max(_next_index.get(run, 0), first + len(listed))
    for offset, model in enumerate(listed):
        # As wandb: the first watched model's names are bare, later ones are prefixed.
        index = first + offset
        prefix = f"graph_{index}/" if index > 0 else ""
        watched = _Watch(run, weakref.ref(model))
        if log in ("parameters", "all"):
            watched.handles.append(_parameter_hook(run, model, prefix, log_freq))
        if log in ("gradients", "all"):
            watched.handles.extend(_gradient_hooks(run, model, prefix, log_freq))
        with _lock:
            _watches.append(watched)


def unwatch(models: Any = None, run: Run | None = None) -> None:
    """Remove the hooks `watch` registered: on `models` (one or a list; all when
    None), and only those of `run` when it is given."""
    targets = None
    if models is not None:
        listed = models if isinstance(models, (list, tuple)) else [models]
        targets = {id(model) for model in listed}
    with _lock:
        kept = []
        for watched in _watches:
            model = watched.model()
            chosen = (run is None or watched.run is run) and (
                targets is None or (model is not None and id(model) in targets)
            )
            if chosen or model is None:
                watched.remove()
            else:
                kept.append(watched)
        _watches[:] = kept


def _parameter_hook(run: Run, model: Any, prefix: str, log_freq: int) -> Any:
    calls = 0

    def log_parameters(module: Any, inputs: Any, output: Any) -> None:
        nonlocal calls
        if not module.training:
            return  # evaluation passes are not training steps
        calls += 1
        if calls < log_freq:
            return
        calls = 0
        values = {}
        for name, parameter in module.named_parameters():
            if parameter.requires_grad:
                histogram = tensor_histogram(parameter)
                if histogram is not None:
                    values[f"parameters/{prefix}{name}"] = histogram
        if values:
            run.log(values, commit=False)

    return model.register_forward_hook(log_parameters)


def _gradient_hooks(run: Run, model: Any, prefix: str, log_freq: int) -> list[Any]:
    handles = []
    for name, parameter in model.named_parameters():
        if parameter.requires_grad:
            handles.append(
                parameter.register_hook(
                    _gradient_logger(run, f"gradients/{prefix}{name}", log_freq)
                )
            )
    return handles


def _gradient_logger(run: Run, key: str, log_freq: int) -> Any:
    calls = 0

    def log_gradient(gradient: Any) -> None:
        nonlocal calls
        calls += 1
        if calls < log_freq:
            return
        calls = 0
        histogram = tensor_histogram(gradient)
        if histogram is not None:
            run.log({key: histogram}, commit=False)

    return log_gradient


def tensor_histogram(tensor: Any, bins: int = HISTOGRAM_BINS) -> Histogram | None:
    """A `Histogram` of a tensor's finite values, binned by torch on the tensor's own
    device (only the counts are copied to the CPU); None if it has no finite value.
    A sparse tensor's implicit zeros are counted too."""
    import torch

    with torch.no_grad():
        values = tensor.detach()
        zeros = 0
        if values.is_sparse:
            values = values.coalesce()
            zeros = values.numel() - values._nnz()
            values = values.values()
        flat = values.reshape(-1)
        if flat.dtype not in (torch.float32, torch.float64):
            flat = flat.float()
        flat = flat[torch.isfinite(flat)]
        if flat.numel() == 0 and zeros == 0:
            return None
        low, high = (flat.min().item(), flat.max().item()) if flat.numel() else (0.0, 0.0)
        if zeros:
            low, high = min(low, 0.0), max(high, 0.0)
        if low == high:
            # numpy's convention for a constant array: one unit wide around the value
            low, high = low - 0.5, high + 0.5
        counts = torch.histc(flat, bins=bins, min=low, max=high).double().cpu()
        if zeros:
            counts[min(int((0.0 - low) / (high - low) * bins), bins - 1)] += zeros
        edges = torch.linspace(low, high, bins + 1, dtype=torch.float64)
    return Histogram(np_histogram=(counts.numpy(), edges.numpy()))
