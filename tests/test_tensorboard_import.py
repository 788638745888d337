"""`import_tf_events` and `trackio import tensorboard` on event files written by real writers."""

import json
import os
import shutil
import struct
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from project_state import snapshot, without_timestamps

import trackio
from trackio.imports import EventFileError, EventFileWarning

pytest.importorskip("tensorboard")
tensorboardX = pytest.importorskip("tensorboardX")


def _write_scalars(directory, points, **writer_kwargs):
    """Write `points` ({step: {tag: value}}) with tensorboardX, wall time 1000 + step."""
    writer = tensorboardX.SummaryWriter(str(directory), **writer_kwargs)
    for step, values in points.items():
        for tag, value in values.items():
            writer.add_scalar(tag, value, step, walltime=1000.0 + step)
    writer.close()


def _f32(value):
    """`value` as tensorboardX stores it (float32)."""
    return float(np.float32(value))


def _runs(project):
    return {r.name: r for r in trackio.Api().runs(project)}


def _event_file(directory):
    (path,) = [p for p in directory.rglob("*tfevents*") if p.is_file()]
    return path


def _record_offsets(path):
    """Start offsets and payload lengths of the TFRecords of an event file."""
    data = path.read_bytes()
    offset, records = 0, []
    while offset < len(data):
        (length,) = struct.unpack_from("<Q", data, offset)
        records.append((offset, length))
        offset += 12 + length + 4
    assert offset == len(data)
    return records


@pytest.fixture
def logdir(tmp_path):
    """train/ and eval/ runs, a nested sweep/lr_0.1/seed_1 run and files directly in the root."""
    root = tmp_path / "logs"
    _write_scalars(root / "train", {s: {"loss": 1.0 / (s + 1), "lr": 0.5} for s in range(5)})
    _write_scalars(root / "eval", {0: {"acc": 0.25}, 4: {"acc": 0.75}})
    _write_scalars(root / "sweep" / "lr_0.1" / "seed_1", {2: {"x": 2.5}, 3: {"x": -1.5}})
    _write_scalars(root, {7: {"top": 3.0}})
    return root


def test_runs_per_directory_named_by_relative_path(logdir):
    ids = trackio.import_tf_events(logdir, "tb")
    runs = _runs("tb")
    assert sorted(runs) == ["eval", "logs", "sweep/lr_0.1/seed_1", "train"]
    assert sorted(ids) == sorted(r.id for r in runs.values())
    assert all(r.status == "finished" for r in runs.values())
    train = runs["train"].history()
    assert without_timestamps(train) == [
        {"step": s, "loss": _f32(1.0 / (s + 1)), "lr": 0.5} for s in range(5)
    ]
    assert [r["timestamp"] for r in train] == [1000.0 + s for s in range(5)]
    assert without_timestamps(runs["eval"].history()) == [
        {"step": 0, "acc": 0.25},
        {"step": 4, "acc": 0.75},
    ]
    assert without_timestamps(runs["sweep/lr_0.1/seed_1"].history()) == [
        {"step": 2, "x": 2.5},
        {"step": 3, "x": -1.5},
    ]
    assert without_timestamps(runs["logs"].history()) == [{"step": 7, "top": 3.0}]


def test_name_prefix_and_collisions(logdir):
    trackio.import_tf_events(logdir / "sweep", "tb", name="exp1/")
    assert sorted(_runs("tb")) == ["exp1/lr_0.1/seed_1"]
    before = snapshot(logdir.parent / "trackio_data")
    with pytest.raises(ValueError, match="exp1/lr_0.1/seed_1"):
        trackio.import_tf_events(logdir / "sweep", "tb", name="exp1/")
    assert snapshot(logdir.parent / "trackio_data") == before
    trackio.import_tf_events(logdir / "sweep", "tb", name="exp2/", space_id="u/s", dataset_id="u/d")
    trackio.import_tf_events(logdir / "sweep", "tb", name="exp1/", force=True)
    assert sorted(r.name for r in trackio.Api().runs("tb")) == [
        "exp1/lr_0.1/seed_1",
        "exp1/lr_0.1/seed_1",
        "exp2/lr_0.1/seed_1",
    ]


def test_ten_thousand_steps_give_one_row_per_step_with_all_tags(tmp_path):
    root = tmp_path / "big"
    tags = ("loss", "acc", "lr")
    writer = tensorboardX.SummaryWriter(str(root / "run"))
    for step in range(10_000):
        for index, tag in enumerate(tags):
            writer.add_scalar(tag, step * 0.25 + index, step, walltime=5000.0 + step)
    writer.close()
    trackio.import_tf_events(root, "big")
    run = _runs("big")["run"]
    rows = run.history()
    assert len(rows) == 10_000
    assert [r["step"] for r in rows] == list(range(10_000))
    for row in rows:
        step = row["step"]
        assert row == {
            "step": step,
            "timestamp": 5000.0 + step,
            "loss": step * 0.25,
            "acc": step * 0.25 + 1,
            "lr": step * 0.25 + 2,
        }


def test_images_and_histograms_import_beside_scalars_and_text_is_skipped(tmp_path):
    root = tmp_path / "rich"
    writer = tensorboardX.SummaryWriter(str(root / "r"))
    writer.add_scalar("loss", 0.5, 0, walltime=10.0)
    writer.add_histogram("weights", np.arange(10.0), 0, walltime=10.0)
    writer.add_image("sample", np.full((3, 6, 4), 0.5), 0, walltime=10.0)
    writer.add_text("note", "hello", 1, walltime=11.0)
    writer.add_scalar("loss", 0.25, 1, walltime=11.0)
    writer.close()
    trackio.import_tf_events(root, "rich")
    rows = _runs("rich")["r"].history()
    assert [(r["step"], r["loss"]) for r in rows] == [(0, 0.5), (1, 0.25)]
    assert "note" not in rows[1]
    histogram = rows[0]["weights"]
    assert histogram["_type"] == "histogram" and sum(histogram["counts"]) == 10
    assert histogram["edges"][0] == 0.0 and histogram["edges"][-1] == 9.0
    image = rows[0]["sample"]
    assert (image["_type"], image["width"], image["height"]) == ("image", 4, 6)
    assert Path(image["path"]).read_bytes()[:4] == b"\x89PNG"


def test_torch_images_and_histograms(tmp_path):
    torch = pytest.importorskip("torch")
    tb = pytest.importorskip("torch.utils.tensorboard")
    writer = tb.SummaryWriter(str(tmp_path / "logs" / "t"))
    for step in range(2):
        writer.add_image("pic", torch.zeros(3, 5, 7), step)
        writer.add_histogram("h", torch.arange(100.0), step)
    writer.close()
    trackio.import_tf_events(tmp_path / "logs", "torchrich")
    rows = _runs("torchrich")["t"].history()
    assert [r["step"] for r in rows] == [0, 1]
    assert all((r["pic"]["width"], r["pic"]["height"]) == (7, 5) for r in rows)
    assert all(sum(r["h"]["counts"]) == 100 for r in rows)


def test_torch_summary_writer_event_files(tmp_path):
    pytest.importorskip("torch")
    tb = pytest.importorskip("torch.utils.tensorboard")
    root = tmp_path / "torch_logs"
    for name, offset in (("a", 0.0), ("deep/b", 100.0)):
        writer = tb.SummaryWriter(str(root / name))
        for step in range(0, 30, 3):
            writer.add_scalar("old/loss", offset + step * 0.5, step, walltime=2000.0 + step)
            writer.add_scalar(
                "new/loss", offset + step * 0.25, step, walltime=2000.0 + step, new_style=True
            )
            writer.add_scalar(
                "new/double",
                offset + step / 3,
                step,
                walltime=2000.0 + step,
                new_style=True,
                double_precision=True,
            )
        writer.close()
    trackio.import_tf_events(root, "torch", name="t-")
    runs = _runs("torch")
    assert sorted(runs) == ["t-a", "t-deep/b"]
    for name, offset in (("t-a", 0.0), ("t-deep/b", 100.0)):
        rows = runs[name].history()
        assert [r["step"] for r in rows] == list(range(0, 30, 3))
        for row in rows:
            step = row["step"]
            assert row["timestamp"] == 2000.0 + step
            assert row["old/loss"] == offset + step * 0.5
            assert row["new/loss"] == offset + step * 0.25
            assert row["new/double"] == offset + step / 3


@pytest.fixture
def existing_project():
    trackio.init(project="tb", name="kept")
    for step in range(3):
        trackio.log({"loss": float(step)})
    trackio.finish()


def _damage(logdir, how):
    """Damage the `train` run's event file in a copy of `logdir`; return (copy, file)."""
    damaged = logdir.parent / f"damaged_{how}"
    shutil.copytree(logdir, damaged)
    path = _event_file(damaged / "train")
    data = bytearray(path.read_bytes())
    records = _record_offsets(path)
    last_offset, last_length = records[-1]
    if how == "cut_footer":
        data = data[:-1]
    elif how == "cut_header":
        data = data[: last_offset + 5]
    elif how == "cut_payload":
        data = data[: last_offset + 12 + last_length // 2]
    elif how == "flip_payload":
        offset, length = records[len(records) // 2]
        data[offset + 12 + length // 2] ^= 0x40
    elif how == "flip_length":
        offset, _ = records[len(records) // 2]
        data[offset] ^= 0x01
    path.write_bytes(bytes(data))
    return damaged, path


DAMAGE = ["cut_footer", "cut_header", "cut_payload", "flip_payload", "flip_length"]


def _damaged_record_offset(logdir, how):
    """Where the record `_damage(logdir, how)` broke starts (read from the intact original)."""
    records = _record_offsets(_event_file(logdir / "train"))
    return records[-1][0] if how.startswith("cut") else records[len(records) // 2][0]


@pytest.mark.parametrize("how", DAMAGE)
def test_strict_damaged_event_file_leaves_an_existing_project_as_it_was(
    logdir, existing_project, how
):
    damaged, path = _damage(logdir, how)
    data_dir = logdir.parent / "trackio_data"
    before = snapshot(data_dir)
    with pytest.raises(EventFileError) as caught:
        trackio.import_tf_events(damaged, "tb", strict=True)
    kind = "truncated" if how.startswith("cut") else "corrupt"
    offset = _damaged_record_offset(logdir, how)
    assert str(caught.value) == (f"event file {path} is {kind} at byte {offset}; nothing imported")
    assert snapshot(data_dir) == before
    assert [r.name for r in trackio.Api().runs("tb")] == ["kept"]


@pytest.mark.parametrize("how", ["cut_payload", "flip_payload"])
def test_strict_damaged_event_file_does_not_create_a_new_project(logdir, how):
    damaged, path = _damage(logdir, how)
    with pytest.raises(EventFileError, match="tfevents"):
        trackio.import_tf_events(damaged, "fresh", strict=True)
    assert trackio.Api().projects() == []
    assert list((logdir.parent / "trackio_data").iterdir()) == []


_TRAIN_ROWS = [{"step": s, "loss": _f32(1.0 / (s + 1)), "lr": 0.5} for s in range(5)]
"""The `train` run of the `logdir` fixture, intact."""


@pytest.mark.parametrize("how", ["cut_footer", "cut_header", "cut_payload"])
def test_truncated_event_file_imports_the_events_before_the_cut(logdir, existing_project, how):
    damaged, path = _damage(logdir, how)
    with pytest.warns(EventFileWarning) as caught:
        ids = trackio.import_tf_events(damaged, "tb")
    offset = _damaged_record_offset(logdir, how)
    # The file holds ten scalar events (loss and lr at five steps); the cut took the last.
    assert [str(w.message) for w in caught] == [
        f"{path}: truncated at byte {offset}; imported the 9 events before it"
    ]
    runs = _runs("tb")
    assert len(ids) == 4
    assert sorted(runs) == [f"damaged_{how}", "eval", "kept", "sweep/lr_0.1/seed_1", "train"]
    assert without_timestamps(runs["train"].history()) == [
        *_TRAIN_ROWS[:4],
        {"step": 4, "loss": _f32(1.0 / 5)},
    ]
    assert without_timestamps(runs["eval"].history()) == [
        {"step": 0, "acc": 0.25},
        {"step": 4, "acc": 0.75},
    ]


def test_chopping_many_bytes_keeps_the_records_before_the_one_cut(tmp_path):
    root = tmp_path / "logs"
    _write_scalars(root / "r", {s: {"x": float(s)} for s in range(50)})
    path = _event_file(root)
    records = _record_offsets(path)
    size = path.stat().st_size
    path.write_bytes(path.read_bytes()[: size - 300])
    cut = size - 300
    # The record holding the cut is the first lost; the file version event precedes
    # the scalar events, one per step.
    (offset, index) = next(
        (o, i) for i, (o, n) in enumerate(records) if o < cut < o + 16 + n or o == cut
    )
    with pytest.warns(EventFileWarning) as caught:
        trackio.import_tf_events(root, "chopped")
    kept = index - 1
    assert [str(w.message) for w in caught] == [
        f"{path}: truncated at byte {offset}; imported the {kept} events before it"
    ]
    (run,) = trackio.Api().runs("chopped")
    assert without_timestamps(run.history()) == [{"step": s, "x": float(s)} for s in range(kept)]
    assert 0 < kept < 50


def test_zero_filled_tail_counts_as_truncated(tmp_path):
    root = tmp_path / "logs"
    _write_scalars(root / "r", {s: {"x": float(s)} for s in range(3)})
    path = _event_file(root)
    size = path.stat().st_size
    # A machine that went down mid-job can leave the file's last blocks as zeros.
    with open(path, "ab") as handle:
        handle.write(bytes(3 << 20))
    with pytest.warns(EventFileWarning) as caught:
        trackio.import_tf_events(root, "zeros")
    assert [str(w.message) for w in caught] == [
        f"{path}: truncated at byte {size}; imported the 3 events before it"
    ]
    (run,) = trackio.Api().runs("zeros")
    assert without_timestamps(run.history()) == [{"step": s, "x": float(s)} for s in range(3)]
    with pytest.raises(EventFileError, match=f"is truncated at byte {size}; nothing imported"):
        trackio.import_tf_events(root, "zeros-strict", strict=True)


def _event_at(path, offset):
    """(step, tag) of the scalar event in the record starting at `offset` of `path`."""
    from tensorboard.compat.proto.event_pb2 import Event

    data = path.read_bytes()
    (length,) = struct.unpack_from("<Q", data, offset)
    event = Event.FromString(data[offset + 12 : offset + 12 + length])
    (value,) = event.summary.value
    return event.step, value.tag


@pytest.mark.parametrize("how", ["flip_payload", "flip_length"])
def test_corrupt_record_in_the_middle_is_skipped_and_the_rest_imported(logdir, how):
    intact = _event_file(logdir / "train")
    records = _record_offsets(intact)
    offset, length = records[len(records) // 2]
    lost_step, lost_tag = _event_at(intact, offset)
    damaged, path = _damage(logdir, how)
    with pytest.warns(EventFileWarning) as caught:
        trackio.import_tf_events(damaged, "tb")
    resume = offset + 16 + length
    assert [str(w.message) for w in caught] == [
        f"{path}: corrupt record at byte {offset}; skipped {resume - offset} bytes "
        f"to the next intact record, at byte {resume}"
    ]
    expected = [dict(row) for row in _TRAIN_ROWS]
    del expected[lost_step][lost_tag]
    assert without_timestamps(_runs("tb")["train"].history()) == expected


def test_corrupt_last_record_is_skipped_not_called_truncated(tmp_path):
    root = tmp_path / "logs"
    _write_scalars(root / "r", {0: {"x": 1.0}, 1: {"x": 2.0}})
    path = _event_file(root)
    data = bytearray(path.read_bytes())
    offset, length = _record_offsets(path)[-1]
    data[offset + 12 + length // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.warns(EventFileWarning) as caught:
        trackio.import_tf_events(root, "lastbad")
    assert [str(w.message) for w in caught] == [
        f"{path}: corrupt record at byte {offset}; skipped the {16 + length} bytes after it"
    ]
    (run,) = trackio.Api().runs("lastbad")
    assert without_timestamps(run.history()) == [{"step": 0, "x": 1.0}]
    with pytest.raises(EventFileError, match=f"is corrupt at byte {offset}; nothing imported"):
        trackio.import_tf_events(root, "lastbad-strict", strict=True)


def test_empty_or_missing_log_directory(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="tfevents"):
        trackio.import_tf_events(tmp_path / "empty", "p")
    with pytest.raises(FileNotFoundError, match="nowhere"):
        trackio.import_tf_events(tmp_path / "nowhere", "p")
    assert trackio.Api().projects() == []


def test_cli_import_tensorboard(cli, logdir):
    result = cli("import", "tensorboard", logdir, "--project", "cli-tb", "--name-prefix", "x-")
    assert result.returncode == 0, result.stderr
    assert "4 run(s)" in result.stdout
    assert sorted(_runs("cli-tb")) == ["x-eval", "x-logs", "x-sweep/lr_0.1/seed_1", "x-train"]
    assert without_timestamps(_runs("cli-tb")["x-eval"].history()) == [
        {"step": 0, "acc": 0.25},
        {"step": 4, "acc": 0.75},
    ]
    again = cli("import", "tensorboard", logdir / "eval", "--project", "cli-tb")
    assert again.returncode == 0, again.stderr
    assert "eval" in _runs("cli-tb")


def test_cli_import_truncated_event_file_warns_and_imports_the_rest(cli, logdir):
    damaged, path = _damage(logdir, "cut_payload")
    offset = _damaged_record_offset(logdir, "cut_payload")
    result = cli("import", "tensorboard", damaged, "--project", "tb")
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        f"trackio: {path}: truncated at byte {offset}; imported the 9 events before it"
    ]
    assert result.stdout == "imported 4 run(s) into project 'tb'\n"
    assert without_timestamps(_runs("tb")["train"].history()) == [
        *_TRAIN_ROWS[:4],
        {"step": 4, "loss": _f32(1.0 / 5)},
    ]


def test_cli_import_strict_truncated_event_file_exits_1_with_one_line(
    cli, logdir, existing_project
):
    damaged, path = _damage(logdir, "cut_payload")
    offset = _damaged_record_offset(logdir, "cut_payload")
    data_dir = logdir.parent / "trackio_data"
    before = snapshot(data_dir)
    for project in ("tb", "brand-new"):
        result = cli("import", "tensorboard", damaged, "--project", project, "--strict")
        assert result.returncode == 1
        assert result.stdout == ""
        assert result.stderr.splitlines() == [
            f"trackio: event file {path} is truncated at byte {offset}; nothing imported"
        ]
    assert snapshot(data_dir) == before
    assert trackio.Api().projects() == ["tb"]
    missing = cli("import", "tensorboard", logdir / "nowhere", "--project", "tb")
    assert missing.returncode == 1
    (line,) = missing.stderr.splitlines()
    assert "nowhere" in line


def test_images_sharing_one_wall_time_give_a_summary(tmp_path):
    writer = tensorboardX.SummaryWriter(str(tmp_path / "logs" / "r"))
    for step in range(3):
        writer.add_image("pic", np.full((3, 2, 2), step / 2), step, walltime=1000.0)
    writer.close()
    trackio.import_tf_events(tmp_path / "logs", "sametime")
    (run,) = trackio.Api().runs("sametime")
    assert run.summary["pic"]["_type"] == "image"
    assert [r["step"] for r in run.history()] == [0, 1, 2]


def _write_tf2_style_log(directory, steps):
    """Scalars plus TF2-style tensor images whose plugin is named in the first event only."""
    import io

    from PIL import Image as PILImage
    from tensorboard.compat.proto import types_pb2
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.compat.proto.summary_pb2 import Summary, SummaryMetadata
    from tensorboard.compat.proto.tensor_pb2 import TensorProto
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    writer = EventFileWriter(str(directory))
    plugin = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="images"))
    for step in range(steps):
        scalar = Summary.Value(tag="loss", simple_value=1.0 / (step + 1))
        writer.add_event(Event(step=step, wall_time=100.0 + step, summary=Summary(value=[scalar])))
        if step % 500 == 0:
            buffer = io.BytesIO()
            PILImage.fromarray(np.full((2, 3), step % 256, dtype=np.uint8)).save(buffer, "PNG")
            tensor = TensorProto(
                dtype=types_pb2.DT_STRING, string_val=[b"3", b"2", buffer.getvalue()]
            )
            image = Summary.Value(tag="pic", tensor=tensor)
            if step == 0:
                image.metadata.CopyFrom(plugin)
            writer.add_event(
                Event(step=step, wall_time=100.0 + step, summary=Summary(value=[image]))
            )
    writer.close()


@pytest.mark.skipif((__import__("os").cpu_count() or 1) < 2, reason="needs two cores")
def test_parallel_parse_of_a_big_file_matches_the_sequential_one(tmp_path, child_env):
    _write_tf2_style_log(tmp_path / "logs" / "r", 4000)
    trackio.import_tf_events(tmp_path / "logs", "sequential")
    script = (
        "import trackio, trackio.imports.tensorboard_import as tb\n"
        "tb.PARALLEL_MIN_BYTES = 1\n"
        f"trackio.import_tf_events({str(tmp_path / 'logs')!r}, 'parallel')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=child_env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr

    def comparable(project):
        (run,) = trackio.Api().runs(project)
        return [
            {k: (v["width"], v["height"]) if isinstance(v, dict) else v for k, v in row.items()}
            for row in run.history()
        ]

    sequential, parallel = comparable("sequential"), comparable("parallel")
    assert parallel == sequential
    assert len(sequential) == 4000
    assert [row["pic"] for row in sequential if "pic" in row] == [(3, 2)] * 8


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs two cores")
def test_parallel_parse_reports_a_corrupt_record_just_past_a_range_end(tmp_path, child_env):
    root = tmp_path / "logs"
    _write_scalars(root / "r", {s: {"x": float(s)} for s in range(400)})
    path = _event_file(root)
    data = bytearray(path.read_bytes())
    # The first worker parses the records starting before its range's end; the next
    # one starts at the first intact record after it, so a corrupt record starting
    # right at or after the cut is in neither worker's share.
    cut = len(data) // min(os.cpu_count() or 1, 8)
    offset, length = next((o, n) for o, n in _record_offsets(path) if o >= cut)
    lost_step, _ = _event_at(path, offset)
    data[offset + 12 + length // 2] ^= 0x40
    path.write_bytes(bytes(data))

    script = f"""
import json, warnings, trackio
import trackio.imports.tensorboard_import as tb
tb.PARALLEL_MIN_BYTES = 1
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    trackio.import_tf_events({str(root)!r}, "parallel")
try:
    trackio.import_tf_events({str(root)!r}, "parallel-strict", strict=True)
    error = None
except tb.EventFileError as failure:
    error = str(failure)
(run,) = trackio.Api().runs("parallel")
steps = [row["step"] for row in run.history()]
print(json.dumps({{"warnings": [str(w.message) for w in caught], "error": error, "steps": steps}}))
"""
    result = subprocess.run(
        [sys.executable, "-c", script], env=child_env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    parallel = json.loads(result.stdout)
    resume = offset + 16 + length
    assert parallel == {
        "warnings": [
            f"{path}: corrupt record at byte {offset}; skipped {16 + length} bytes "
            f"to the next intact record, at byte {resume}"
        ],
        "error": f"event file {path} is corrupt at byte {offset}; nothing imported",
        "steps": [s for s in range(400) if s != lost_step],
    }
    # The sequential parse finds the same.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trackio.import_tf_events(root, "sequential")
    assert [str(w.message) for w in caught] == parallel["warnings"]
    (run,) = trackio.Api().runs("sequential")
    assert [row["step"] for row in run.history()] == parallel["steps"]


def test_a_plain_name_prefixes_runs_with_an_underscore(logdir):
    trackio.import_tf_events(logdir / "sweep", "tb", name="exp")
    assert sorted(_runs("tb")) == ["exp_lr_0.1/seed_1"]


def test_cli_says_which_directories_had_nothing_to_import(cli, logdir):
    empty = tensorboardX.SummaryWriter(str(logdir / "text_only"))
    empty.add_text("note", "hello", 0)
    empty.close()
    result = cli("import", "tensorboard", logdir, "--project", "tb")
    assert result.returncode == 0, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("trackio: ") and "text_only" in line and "no scalars" in line
    assert "warnings.warn" not in result.stderr and "Warning" not in result.stderr
