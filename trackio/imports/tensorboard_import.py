"""`import_tf_events`: TensorBoard event files become runs, one per directory.

Records are decoded with TensorBoard's own `Event` protobuf and tensor utilities.
The TFRecord framing around them is read here, with each record's masked CRC-32C
checked by google-crc32c: without TensorFlow installed, tensorboard's own framing
reader computes CRCs in pure Python, about 30,000 records a second on this
project's machines, far from the 300,000 values a second an import should reach.
Big files are parsed by one forked process per core.

A job that crashed mid-write leaves its last record cut short, so a damaged record is
skipped with a warning by default and the import keeps every intact record around
it; `strict=True` refuses the whole import instead.
"""

from __future__ import annotations

import os
import re
import struct
import threading
import warnings
from dataclasses import dataclass, field
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


class EventFileWarning(UserWarning):
    """A truncated or corrupt part of an event file was skipped; the message names the
    file and offset."""


def import_tf_events(
    log_dir: str | Path,
    project: str,
    name: str | None = None,
    space_id: str | None = None,
    dataset_id: str | None = None,
    private: bool | None = None,
    force: bool = False,
    strict: bool = False,
) -> list[str]:
    """Import every TensorBoard event file under `log_dir` into `project`; returns run ids.

    Each directory holding event files becomes one run, named by its path relative
    to `log_dir` (`log_dir`'s own name for files directly in it), as `<name>_<path>`
    when `name` is given (`name<path>` if `name` ends in `/`, `_`, `-` or `.`).
    Scalars keep their tags, steps and wall times; values logged at the same step
    form one row. A run name already used in the project is an
    error unless `force=True`. A file cut short (what a crashed job leaves) is
    imported up to the cut, and a record failing its CRC is skipped, each with an
    `EventFileWarning` naming the file and byte; with `strict=True` either raises
    `EventFileError` instead and nothing is imported. `space_id`, `dataset_id` and
    `private` are accepted for compatibility and unused. Needs the `tensorboard`
    package.
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
        run = ImportedRun(_prefixed(name, run_name))
        for path in files:
            for problem in read_event_file(path, run, strict=strict):
                warnings.warn(problem, EventFileWarning, stacklevel=2)
        if run.series:
            runs.append(run)
        else:
            warnings.warn(f"{directory}: no scalars in its event files; not imported", stacklevel=2)
    if not runs:
        raise ValueError(f"no scalar values in the event files under {root}")
    return store_runs(project, runs, allow_same_names=force)


PARALLEL_MIN_BYTES = 4 << 20
"""Files at least this big are parsed by forked worker processes, one per core."""

_forked_input: tuple[bytes, bool] | None = None
"""The file being parsed and whether damage stops parsing, left where forked workers
inherit them instead of pickling them."""


@dataclass
class _Part:
    """What parsing a run of consecutive records found."""

    series: dict[str, tuple[list, list, list]] = field(default_factory=dict)
    plugins: dict[str, str] = field(default_factory=dict)
    deferred: list[tuple[str, int, float, bytes]] = field(default_factory=list)
    start: int = 0
    """Where the first record parsed starts."""
    stop: int = 0
    """Where parsing ended: the start of the first record not parsed, or the end."""
    events: int = 0
    """Events holding summary values."""
    damage: list[tuple[int, int]] = field(default_factory=list)
    """(where a damaged record starts, where the next intact record starts or the end)."""


def _prefixed(name: str | None, run_name: str) -> str:
    """`name_<run>` as the PyPI trackio names imported runs; a `name` that already ends
    in a separator (`exp1/`, `exp1-`) is used as it is."""
    if not name:
        return run_name
    return f"{name}{run_name}" if name[-1] in "/_-." else f"{name}_{run_name}"


def read_event_file(path: Path, run: ImportedRun, *, strict: bool = False) -> list[str]:
    """Add the scalars, images and histograms of one event file to `run`; returns one
    warning per damaged stretch skipped, in file order.

    A big file is cut into one byte range per core; each forked worker finds the
    first record starting in its range (a TFRecord header carries a CRC of its
    length, so a record start can be recognised anywhere) and parses the records
    starting there up to the next range. Forking is used only when this process runs
    no other thread. With `strict`, damage raises `EventFileError` and `run` is left
    as it was.
    """
    global _forked_input
    data = path.read_bytes()
    workers = _worker_count(len(data))
    progress = progress_bar(len(data), f"importing {path.name}", "B")
    if workers == 1:
        parts = [_parse_records(data, 0, len(data), progress, strict)]
    else:
        cuts = [len(data) * k // workers for k in range(workers + 1)]
        ranges = list(zip(cuts, cuts[1:], strict=False))
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        _forked_input = (data, strict)
        try:
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(workers, mp_context=context) as pool:
                parts = []
                for part, (low, high) in zip(pool.map(_parse_range, ranges), ranges, strict=True):
                    parts.append(part)
                    progress.update(high - low)
        finally:
            _forked_input = None
    progress.close()
    parts = _with_gaps_parsed(data, parts, strict)
    damage = [where for part in parts for where in part.damage]
    if strict and damage:
        offset, _ = damage[0]
        kind = "truncated" if _is_cut_short(data, *damage[0]) else "corrupt"
        raise EventFileError(f"event file {path} is {kind} at byte {offset}; nothing imported")
    _merge(run, parts)
    events = sum(part.events for part in parts)
    return [_damage_warning(path, data, offset, resume, events) for offset, resume in damage]


def _with_gaps_parsed(data: bytes, parts: list[_Part], strict: bool) -> list[_Part]:
    """`parts`, with the bytes between one part's stop and the next one's start parsed
    here. Such a gap is a damaged record starting just past a range's end: the worker
    of that range stops before it and the next one starts at the first intact record
    after it, so neither would report it."""
    complete: list[_Part] = []
    reached = 0
    for part in parts:
        if part.start > reached:
            complete.append(_parse_records(data, reached, part.start, None, strict))
        complete.append(part)
        reached = max(reached, part.stop)
    return complete


def _is_cut_short(data: bytes, offset: int, resume: int) -> bool:
    """Whether the damage at `offset` is the file ending mid-record: no intact record
    follows, and the record's header is incomplete, promises more bytes than remain,
    or only zeros follow (a tail a machine crash left unwritten)."""
    end = len(data)
    if resume < end:
        return False
    if end - offset < _HEADER.size:
        return True
    length = _HEADER.unpack_from(data, offset)[0]
    return offset + _HEADER.size + length + _FOOTER.size > end or not _NON_ZERO.search(data, offset)


def _damage_warning(path: Path, data: bytes, offset: int, resume: int, events: int) -> str:
    if _is_cut_short(data, offset, resume):
        # The cut is the file's last damage, so every event read lies before it.
        before = f"imported the {events} event{'' if events == 1 else 's'} before it"
        return f"{path}: truncated at byte {offset}; {before if events else 'no events before it'}"
    if resume < len(data):
        return (
            f"{path}: corrupt record at byte {offset}; skipped {resume - offset} bytes "
            f"to the next intact record, at byte {resume}"
        )
    return f"{path}: corrupt record at byte {offset}; skipped the {resume - offset} bytes after it"


def _worker_count(size: int) -> int:
    if size < PARALLEL_MIN_BYTES or threading.active_count() > 1:
        return 1
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def _parse_range(byte_range: tuple[int, int]) -> _Part:
    assert _forked_input is not None
    data, strict = _forked_input
    low, high = byte_range
    return _parse_records(data, _record_start_at_or_after(data, low), high, None, strict)


def _record_start_at_or_after(data: bytes, position: int) -> int:
    """The first offset >= `position` where a record starts (its length and payload
    CRCs both check out), or the end of the data."""
    import google_crc32c

    crc, header, footer = google_crc32c.value, _HEADER.unpack_from, _FOOTER.unpack_from
    end = len(data)
    if position == 0:
        return 0
    offset, last = position, end - _HEADER.size - _FOOTER.size
    while offset <= last:
        length, length_crc = header(data, offset)
        if not length and not length_crc:
            # Twelve zero bytes are no header (a zero length's CRC is not zero), and a
            # zero-filled tail, which a machine crash can leave, would take a second a
            # megabyte to step through here: jump to the last header that could hold
            # the next non-zero byte.
            found = _NON_ZERO.search(data, offset)
            offset = found.start() - _HEADER.size + 1 if found else end
            continue
        if _mask(crc(data[offset : offset + 8])) == length_crc:
            stop = offset + _HEADER.size + length
            if (
                stop + _FOOTER.size <= end
                and _mask(crc(data[offset + _HEADER.size : stop])) == footer(data, stop)[0]
            ):
                return offset
        offset += 1
    return end


_NON_ZERO = re.compile(rb"[^\x00]")


def _mask(checksum: int) -> int:
    return (((checksum >> 15) | (checksum << 17)) + _MASK_DELTA) & _MASK32


def _parse_records(data: bytes, offset: int, until: int, progress: Any, strict: bool) -> _Part:
    """Check and parse the records starting in [offset, until); the loop is flat
    because it runs once per record.

    Each payload's masked CRC-32C is checked; a corrupt length sends that check over
    the wrong bytes, where it fails too, so the length's own CRC is not checked here.
    A damaged record is noted in `damage` and parsing resumes at the next intact
    record, found as a parallel worker finds its first one; with `strict`, parsing
    stops there. A tensor value whose plugin (image, histogram) was named in an event
    another worker parsed is deferred to `_merge`.
    """
    import google_crc32c
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.util.tensor_util import make_ndarray

    parse, crc = Event.FromString, google_crc32c.value
    header, footer = _HEADER.unpack_from, _FOOTER.unpack_from
    end = len(data)
    part = _Part(start=offset)
    series, plugins, deferred = part.series, part.plugins, part.deferred
    appenders: dict[str, tuple[Any, Any, Any]] = {}
    reported = offset
    events = 0
    while offset < until:
        intact = end - offset >= _HEADER.size
        if intact:
            start = offset + _HEADER.size
            stop = start + header(data, offset)[0]
            intact = stop + _FOOTER.size <= end
        if intact:
            payload = data[start:stop]
            checksum = crc(payload)
            mask = (((checksum >> 15) | (checksum << 17)) + _MASK_DELTA) & _MASK32
            intact = mask == footer(data, stop)[0]
        if not intact:
            resume = _record_start_at_or_after(data, offset + 1)
            part.damage.append((offset, resume))
            offset = end if strict else resume
            continue
        offset = stop + _FOOTER.size
        event = parse(payload)
        values = event.summary.value
        if not values:
            continue
        events += 1
        step, moment = event.step, event.wall_time
        for value in values:
            number: Any = value.simple_value
            if not number and not value.HasField("simple_value"):
                if _is_scalar_tensor(value):
                    number = make_ndarray(value.tensor).item()
                elif _plugin_unknown(value, plugins):
                    deferred.append((value.tag, step, moment, value.SerializeToString()))
                    continue
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
        if progress is not None and offset - reported > 1 << 22:
            progress.update(offset - reported)
            reported = offset
    part.stop, part.events = offset, events
    return part


def _plugin_unknown(value: Any, plugins: dict[str, str]) -> bool:
    return (
        value.HasField("tensor")
        and not value.metadata.plugin_data.plugin_name
        and value.tag not in plugins
    )


def _merge(run: ImportedRun, parts: list[_Part]) -> None:
    """Append the parts' points to `run` in file order, resolving deferred tensors
    with the plugins every part saw."""
    from tensorboard.compat.proto.summary_pb2 import Summary
    from tensorboard.util.tensor_util import make_ndarray

    plugins: dict[str, str] = {}
    for part in parts:
        for tag, plugin in part.plugins.items():
            plugins.setdefault(tag, plugin)
    for part in parts:
        for tag, (steps, values, times) in part.series.items():
            into = run.series.setdefault(tag, ([], [], []))
            into[0].extend(steps)
            into[1].extend(values)
            into[2].extend(times)
        for tag, step, moment, raw in part.deferred:
            if tag in plugins:
                media = _rich_value(Summary.Value.FromString(raw), plugins, make_ndarray)
                if media is not None:
                    run.add(tag, step, media, moment)


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
