"""`trackio server --snapshot-dir` / `--snapshot-dataset`: a server on a machine that
keeps nothing (a Space without a volume) takes snapshots while clients log, and a new
server on an empty data folder brings every acknowledged value back. The Dataset is
on a local stand-in of the Hub (`hub_standin`), reached through `HF_ENDPOINT`."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import textwrap

import pytest
from hub_standin import USER
from team_support import TeamServer, client_env, start_logger, values_exactly_once

import trackio

LOG_AN_IMAGE = textwrap.dedent(
    """
    import numpy as np, trackio
    trackio.init(project="kept", name="picture")
    trackio.log({"sample": trackio.Image(np.full((5, 7, 3), 200, dtype=np.uint8), caption="c")})
    trackio.finish()
    """
)


@pytest.fixture(params=["folder", "dataset"])
def snapshots(request, tmp_path):
    """The server options keeping snapshots in a folder or (on the stand-in Hub) in a
    Dataset, the environment they need, and the stand-in (None for a folder)."""
    if request.param == "folder":
        return ("--snapshot-dir", str(tmp_path / "snapshots")), {}, None
    stand_in, env = request.getfixturevalue("hub")
    return ("--snapshot-dataset", f"{USER}/trackio-data"), env, stand_in


def test_a_new_server_on_an_empty_folder_brings_back_every_value(
    snapshots, child_env, trackio_dir, tmp_path
):
    options, settings, stand_in = snapshots
    child_env = dict(child_env, **settings)
    first = TeamServer(child_env, trackio_dir, *options, "--snapshot-every", "0.5").start()
    env = client_env(child_env, tmp_path / "client", first)
    logger = start_logger(env, "kept", "r", 2000, 5)
    out, err = logger.communicate(timeout=120)
    assert logger.returncode == 0, err
    image = subprocess.run(
        [sys.executable, "-c", LOG_AN_IMAGE], env=env, capture_output=True, text=True, timeout=60
    )
    assert image.returncode == 0, image.stderr
    first.kill(signal.SIGTERM)
    assert any("snapshot taken on stopping" in line for line in first.banner), first.banner

    if stand_in is not None:
        dataset = stand_in.repo("dataset", f"{USER}/trackio-data")
        assert dataset is not None and dataset.private
        assert "kept.db" in dataset.files and any(".media/" in f for f in dataset.files)

    shutil.rmtree(trackio_dir)
    trackio_dir.mkdir()
    second = TeamServer(child_env, trackio_dir, *options).start()
    try:
        assert any("brought back" in line for line in second.banner), second.banner
        assert values_exactly_once("kept", "r", 2000, 5).status == "finished"
        (row,) = trackio.Api().run("kept/picture").history()
        assert row["sample"]["caption"] == "c"
        from PIL import Image

        with Image.open(row["sample"]["path"]) as picture:
            assert picture.size == (7, 5) and picture.getpixel((0, 0))[0] == 200
        env = client_env(child_env, tmp_path / "client2", second)
        more = start_logger(env, "kept", "after", 10, 1)
        assert more.wait(timeout=60) == 0
    finally:
        second.stop()
    names = sorted(run.name for run in trackio.Api().runs("kept"))
    assert names == ["after", "picture", "r"]


def test_a_snapshot_never_replaces_newer_data_already_there(child_env, trackio_dir, tmp_path):
    snapshots = tmp_path / "snapshots"
    server = TeamServer(child_env, trackio_dir, "--snapshot-dir", str(snapshots)).start()
    env = client_env(child_env, tmp_path / "client", server)
    assert start_logger(env, "kept", "old", 5, 1).wait(timeout=60) == 0
    server.kill(signal.SIGTERM)
    trackio.init(project="kept", name="newer")
    trackio.log({"m0": 1.0})
    trackio.finish()
    again = TeamServer(child_env, trackio_dir, "--snapshot-dir", str(snapshots)).start()
    try:
        assert not any("brought back" in line for line in again.banner)
    finally:
        again.stop()
    assert sorted(run.name for run in trackio.Api().runs("kept")) == ["newer", "old"]


def test_snapshot_options_that_cannot_work_are_one_message(cli, tmp_path):
    done = cli("server", "--port", "0", "--snapshot-dir", tmp_path, "--snapshot-every", "0")
    assert done.returncode == 1
    assert done.stderr.strip() == "trackio: --snapshot-every must be more than 0, got 0.0"


def test_a_hub_that_cannot_be_reached_at_start_is_one_message(cli, cli_env, tmp_path):
    env = dict(cli_env, HF_ENDPOINT="http://127.0.0.1:1", HF_TOKEN="hf_x", HF_HOME=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-m", "trackio.cli", "server", "--port", "0"]
        + ["--snapshot-dataset", "tester/unreachable"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(
        "trackio: cannot bring back the snapshot from the Dataset tester/unreachable: "
    )
    assert "hf_x" not in done.stderr
