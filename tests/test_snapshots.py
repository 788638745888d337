"""`trackio server --snapshot-dir`: a server on a machine that keeps nothing (a Space
without a volume) takes snapshots while clients log, and a new server on an empty
data folder brings every acknowledged value back."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import textwrap

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


def test_a_new_server_on_an_empty_folder_brings_back_every_value(child_env, trackio_dir, tmp_path):
    snapshots = tmp_path / "snapshots"
    first = TeamServer(
        child_env, trackio_dir, "--snapshot-dir", str(snapshots), "--snapshot-every", "0.5"
    ).start()
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

    shutil.rmtree(trackio_dir)
    trackio_dir.mkdir()
    second = TeamServer(child_env, trackio_dir, "--snapshot-dir", str(snapshots)).start()
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
