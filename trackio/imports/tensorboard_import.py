"""`import_tf_events`: TensorBoard event files become runs, one per directory.

Records are decoded with TensorBoard's own `Event` protobuf and tensor utilities.
The TFRecord framing around them is read here, with each record's masked CRC-32C
checked by google-crc32c: without TensorFlow installed, tensorboard's own framing
reader computes CRCs in pure Python, about 30,000 records a second on this
project's machines, far from the 300,000 values a second an import should reach.
"""

from __future__ import annotations

import struct
import warnings
from pathlib import Path
from typing import Any

from trackio.imports.progress import progress_bar
from trackio.imports.run_store import ImportedRun, store_runs

_EVENT_FILE_GLOB = "*tfevents*"
_HEADER = struct.Struct("<QI")
_FOOTER = struct.Struct("<I")
_MASK_DELTA = 0xA282EAD8
_MASK32 = 0xFFFFFFFF


class EventFileError(ValueError):
    """An event file is truncated or corrupt; the message names the file and offset."""


def import_tf_events(
    log_dir: str | Path,
    project: str,
    name: str | None = None,
    space_id: str | None = None,
    dataset_id: str | None = None,
    private: bool | None = None,
    force: bool = False,
) -> list[str]:
    """Import every TensorBoard event file under `log_dir` into `project`; returns run ids.

    Each directory holding event files becomes one run, named by its path relative
    to `log_dir` (`log_dir`'s own name for files directly in it), prefixed by
    `name` when given. Scalars keep their tags, steps and wall times; values logged
    at the same step form one row. A run name already used in the project is an
    error unless `force=True`. A truncated or corrupt file raises `EventFileError`
    and nothing is imported. `space_id`, `dataset_id` and `private` are accepted for
    compatibility and unused. Needs the `tensorboard` package.
    """
    root = Path(log_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"log directory {root} does not exist")
    by_directory: dict[Path, list[Path]] = {}
    for path in sorted(root.rglob(_EVENT_FILE_GLOB)):
        if path.is_file():
            by_directory.setdefault(path.parent, []).append(path)
    if not by_directory:
        raise FileNotFoundError(f"no TensorBoard event files (*tfevents*) under {root}")
    runs = []
    for directory, files in by_directory.items():
        relative = directory.relative_to(root).as_posix()
        run_name = root.resolve().name if relative == "." else relative
        run = ImportedRun(f"{name}{run_name}" if name else run_name)
        for path in files:
            read_event_file(path, run)
        if run.series:
            runs.append(run)
        else:
            warnings.warn(f"{directory}: no scalars in its event files; not imported", stacklevel=2)
    if not runs:
        raise ValueError(f"no scalar values in the event files under {root}")
    return store_runs(project, runs, allow_same_names=force)


def read_event_file(path: Path, run: ImportedRun) -> None:
    """Add the scalars of one event file to `run`.

    The loop is written out flat because it runs once per record: a million-value
    log is a million records.
    """
    import google_crc32c
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.util.tensor_util import make_ndarray

    parse, crc = Event.FromString, google_crc32c.value
    header, footer = _HEADER.unpack_from, _FOOTER.unpack_from
    data = path.read_bytes()
    offset, end = 0, len(data)
    series = run.series
    appenders: dict[str, tuple[Any, Any, Any]] = {}
    plugins: dict[str, str] = {}
    progress = progress_bar(end, f"importing {path.name}", "B")
    reported = 0
    while offset < end:
        if end - offset < _HEADER.size:
            raise EventFileError(f"event file {path} is truncated at byte {offset}")
        # A corrupt length sends the payload check below over the wrong bytes, where
        # it fails too, so the length's own CRC is not checked separately.
        length = header(data, offset)[0]
        start = offset + _HEADER.size
        stop = start + length
        if stop + _FOOTER.size > end:
            raise EventFileError(f"event file {path} is truncated at byte {offset}")
        payload = data[start:stop]
        checksum = crc(payload)
        if (((checksum >> 15) | (checksum << 17)) + _MASK_DELTA) & _MASK32 != footer(data, stop)[0]:
            raise EventFileError(f"event file {path} is corrupt at byte {offset}")
        offset = stop + _FOOTER.size
        event = parse(payload)
        values = event.summary.value
        if not values:
            continue
        step, moment = event.step, event.wall_time
        for value in values:
            number: Any = value.simple_value
            if not number and not value.HasField("simple_value"):
                if _is_scalar_tensor(value):
                    number = make_ndarray(value.tensor).item()
                else:
                    number = _rich_value(value, plugins, make_ndarray)
                    if number is None:
                        continue
            add = appenders.get(value.tag)
            if add is None:
                points = series.setdefault(value.tag, ([], [], []))
                add = appenders[value.tag] = (points[0].append, points[1].append, points[2].append)
            add[0](step)
            add[1](number)
            add[2](moment)
        if offset - reported > 1 << 22:
            progress.update(offset - reported)
            reported = offset
    progress.close()


def _rich_value(value: Any, plugins: dict[str, str], make_ndarray: Any) -> Any:
    """An image, images or histogram summary as trackio media, else None.

    TensorFlow 2 writes a tag's plugin name only in its first event, so it is
    remembered per tag for the events after it.
    """
    from trackio.media import Histogram, Image

    if value.HasField("image"):
        return Image.from_encoded(value.image.encoded_image_string)
    if value.HasField("histo"):
        histo = value.histo
        limits = list(histo.bucket_limit)
        if not limits:
            return None
        edges = [histo.min] + [min(limit, histo.max) for limit in limits]
        edges = [max(edges[0], e) if i else e for i, e in enumerate(edges)]
        return Histogram(np_histogram=(list(histo.bucket), edges))
    if not value.HasField("tensor"):
        return None
    plugin = value.metadata.plugin_data.plugin_name or plugins.get(value.tag, "")
    if plugin:
        plugins[value.tag] = plugin
    if plugin == "images":
        encoded = list(value.tensor.string_val)[2:]
        images = tuple(Image.from_encoded(data) for data in encoded)
        return images[0] if len(images) == 1 else (images or None)
    if plugin == "histograms":
        table = make_ndarray(value.tensor)
        if table.ndim != 2 or table.shape[1] != 3 or not len(table):
            return None
        edges = [float(table[0, 0])] + [float(right) for right in table[:, 1]]
        return Histogram(np_histogram=(table[:, 2], edges))
    return None


def _is_scalar_tensor(value: Any) -> bool:
    if not value.HasField("tensor"):
        return False
    plugin = value.metadata.plugin_data.plugin_name
    dims = value.tensor.tensor_shape.dim
    return plugin in ("scalars", "") and len(dims) == 0 and value.tensor.dtype in _NUMBER_DTYPES


_NUMBER_DTYPES = frozenset({1, 2, 3, 4, 5, 6, 9, 10, 19})
"""DataType enum values of float, double, int32, uint8, int16, int8, int64, bool, half."""
