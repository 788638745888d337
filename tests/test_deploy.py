"""`trackio deploy` against the local Hub stand-in (through `HF_ENDPOINT`): the Docker
Space with this trackio's bundle, its secrets and variables, and the write token
remembered on this machine only."""

from __future__ import annotations

import json
import stat

from hub_standin import TOKEN, USER


def _deploy(env, *args):
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "trackio.cli", "deploy", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_deploy_makes_the_space_and_remembers_its_token_here_only(hub, cli_env, trackio_dir):
    stand_in, hub_env = hub
    env = dict(cli_env, **hub_env)
    done = _deploy(env, "--space-id", "board", "--private")
    assert done.returncode == 0, done.stderr
    assert f"https://{USER}-board.hf.space" in done.stdout
    space = stand_in.repo("space", f"{USER}/board")
    assert space is not None and space.private and space.sdk == "docker"
    assert {"Dockerfile", "start.sh", "README.md"} <= set(space.files)
    assert any(name.startswith("trackio-") and name.endswith(".whl") for name in space.files)
    assert b"app_port: 7860" in space.files["README.md"]
    assert space.variables == {"TRACKIO_DATASET_ID": f"{USER}/board-dataset"}
    assert space.secrets["HF_TOKEN"] == TOKEN
    (token_file,) = (trackio_dir / ".servers").iterdir()
    remembered = json.loads(token_file.read_text())
    token = remembered["write_token"]
    assert remembered["space_id"] == f"{USER}/board"
    assert remembered["url"] == f"https://{USER}-board.hf.space"
    assert space.secrets["TRACKIO_WRITE_TOKEN"] == token and len(token) >= 24
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(token_file.parent.stat().st_mode) == 0o700
    for data in space.files.values():
        assert token.encode() not in data and TOKEN.encode() not in data
    assert token not in done.stdout + done.stderr

    again = _deploy(env, "--space-id", f"{USER}/board", "--bucket-id", "runs")
    assert again.returncode == 0, again.stderr
    assert space.secrets["TRACKIO_WRITE_TOKEN"] == token
    assert stand_in.buckets == {f"{USER}/runs": False}
    assert space.volumes == [{"type": "bucket", "source": f"{USER}/runs", "mountPath": "/data"}]
    assert space.variables == {"TRACKIO_BUCKET_MOUNT": "/data"}
    both = _deploy(env, "--space-id", "board", "--bucket-id", "runs", "--dataset-id", "d")
    assert both.returncode == 1 and "not both" in both.stderr


def test_deploy_without_a_hub_token_or_hub_is_one_message(hub, cli_env):
    stand_in, hub_env = hub
    unreachable = {**cli_env, **hub_env, "HF_ENDPOINT": "http://127.0.0.1:1"}
    done = _deploy(unreachable, "--space-id", f"{USER}/board")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"trackio: deploying {USER}/board failed: ")
    assert TOKEN not in done.stderr
    assert stand_in.repos == {}
