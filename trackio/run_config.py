"""`run.config`: the run's hyper-parameters, saved every time they change."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from typing import Any

from trackio.formatting import to_jsonable


def config_to_json(data: Mapping[str, Any]) -> str:
    """Serialise a config; values JSON cannot hold are unwrapped or stringified."""
    return json.dumps(dict(data), default=to_jsonable)


def as_mapping(values: Any) -> Mapping[str, Any]:
    """`values` as a mapping: itself, an object's public attributes, or {} for None."""
    if values is None:
        return {}
    if isinstance(values, Mapping):
        return values
    if hasattr(values, "__dict__"):
        return {k: v for k, v in vars(values).items() if not k.startswith("_")}
    raise TypeError(
        f"config must be a mapping or an object with attributes, got {type(values).__name__}"
    )


class Config(MutableMapping):
    """A dict with attribute access (`config.lr`) that persists itself on every change.

    Accepts what `wandb.config` accepts: `config.update(d, allow_val_change=True)`,
    `config["lr"] = 0.1`, `config.lr = 0.1`, `setdefault`, and `argparse.Namespace`.
    """

    def __init__(self, values: Any = None, on_change: Callable[[str], None] | None = None) -> None:
        object.__setattr__(self, "_data", {str(k): v for k, v in as_mapping(values).items()})
        object.__setattr__(self, "_on_change", on_change)

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change(config_to_json(self._data))

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._data[str(key)] = value
        self._changed()

    def __delitem__(self, key: str) -> None:
        del self._data[key]
        self._changed()

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return self._data[name]
        except KeyError:
            raise AttributeError(f"config has no key {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError:
            raise AttributeError(name) from None

    def update(  # type: ignore[override]
        self, values: Any = None, allow_val_change: bool | None = None, **more: Any
    ) -> None:
        """Merge `values` (a mapping or an object's attributes) and keyword arguments.

        `allow_val_change` is accepted for wandb compatibility; changing a value is
        always allowed and the flag itself is never stored.
        """
        merged = {**as_mapping(values), **more}
        if not merged:
            return
        self._data.update({str(k): v for k, v in merged.items()})
        self._changed()

    def setdefaults(self, values: Mapping[str, Any]) -> None:
        """Set each key of `values` that is not set yet."""
        missing = {k: v for k, v in values.items() if k not in self._data}
        if missing:
            self.update(missing)

    def as_dict(self) -> dict[str, Any]:
        """A plain copy of the config."""
        return dict(self._data)

    def __repr__(self) -> str:
        return f"Config({self._data!r})"
