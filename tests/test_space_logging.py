"""`init(space_id=...)`: a run logs to its Hugging Face Space's server as to a team
server. The Space is made when missing (its values wait in the spool while it builds),
the deploying machine writes with the token it remembered, a teammate with a Hugging
Face token that may write to the Space, and anyone else is refused in one message.
The Hub is the local stand-in; the Space's server a real `trackio server`."""

from __future__ import annotations

import subprocess
import sys

from hub_standin import MATE_TOKEN, STRANGER_TOKEN, TOKEN, USER, Repo
from team_support import TeamServer, spool_files, values_exactly_once

from trackio.server.hub_writers import may_write

SCRIPT = """
import sys, trackio
run = trackio.init(project="p", name=sys.argv[1], space_id=sys.argv[2], private=True)
print(trackio.context_vars.current_space_id.get())
for step in range(int(sys.argv[3])):
    trackio.log({"m0": step * 10.0, "m1": step * 10.0 + 1, "m2": step * 10.0 + 2})
trackio.finish()
"""


def _log(env, name, space_id, steps=50):
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, name, space_id, str(steps)],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def _client(child_env, hub_env, directory, **extra):
    env = {**child_env, **hub_env, "TRACKIO_DIR": str(directory), "TRACKIO_QUIET": "1", **extra}
    env.pop("TRACKIO_WRITE_TOKEN", None)
    env["TRACKIO_FINISH_TIMEOUT"] = "2"
    return env


def test_a_missing_space_is_made_and_gets_the_values_once_it_answers(
    hub, child_env, cli_env, tmp_path, monkeypatch
):
    stand_in, hub_env = hub
    server = TeamServer(child_env, tmp_path / "space", "--hub-space", f"{USER}/board")
    stand_in.space_hosts[f"{USER}/board"] = server.url
    stand_in.new_space_stage = "BUILDING"
    client = _client(child_env, hub_env, tmp_path / "client")
    done = _log(client, "r", "board")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"* Creating the Space {USER}/board (it builds for a few minutes)",
        f"{USER}/board",
    ]
    space = stand_in.repo("space", f"{USER}/board")
    assert space is not None and space.private and space.sdk == "docker"
    said = [line for line in done.stderr.splitlines() if line.startswith("trackio:")]
    assert len(said) == 1 and "is building" in said[0] and server.url in said[0], done.stderr
    assert spool_files(tmp_path / "client")

    server.write_token = space.secrets["TRACKIO_WRITE_TOKEN"]
    server.start()
    try:
        sync = subprocess.run(
            [sys.executable, "-m", "trackio.cli", "sync", "--pending"],
            env=client,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert sync.returncode == 0, sync.stdout + sync.stderr
        monkeypatch.setenv("TRACKIO_DIR", str(tmp_path / "space"))
        values_exactly_once("p", "r", 50, 3)

        stand_in.repo("space", f"{USER}/board").stage = "RUNNING"
        again = _log(client, "r2", f"{USER}/board")
        assert again.returncode == 0 and again.stderr == "", again.stderr
        values_exactly_once("p", "r2", 50, 3)
    finally:
        server.stop()
    secret = space.secrets["TRACKIO_WRITE_TOKEN"]
    printed = done.stdout + done.stderr + sync.stdout + sync.stderr + "\n".join(server.banner)
    assert secret not in printed and TOKEN not in printed


def test_a_teammate_writes_with_a_hub_token_and_a_stranger_is_refused_once(
    hub, child_env, tmp_path, monkeypatch
):
    stand_in, hub_env = hub
    server = TeamServer(
        dict(child_env, **hub_env), tmp_path / "space", "--hub-space", "lab/board"
    ).start()
    stand_in.repos[("space", "lab/board")] = Repo(
        "space", "lab/board", private=True, sdk="docker", host=server.url
    )
    try:
        mate = _client(child_env, hub_env, tmp_path / "mate", HF_TOKEN=MATE_TOKEN)
        done = _log(mate, "mine", "lab/board")
        assert done.returncode == 0 and done.stderr == "", done.stderr
        monkeypatch.setenv("TRACKIO_DIR", str(tmp_path / "space"))
        values_exactly_once("p", "mine", 50, 3)
        assert not spool_files(tmp_path / "mate")

        stranger = _client(child_env, hub_env, tmp_path / "stranger", HF_TOKEN=STRANGER_TOKEN)
        refused = _log(stranger, "theirs", "lab/board")
        assert refused.returncode == 0, refused.stderr
        said = [line for line in refused.stderr.splitlines() if line.startswith("trackio:")]
        assert len(said) == 1 and "may not write to the Space lab/board" in said[0], said
        assert [run.name for run in __import__("trackio").Api().runs("p")] == ["mine"]
        assert spool_files(tmp_path / "stranger")
    finally:
        server.stop()
    printed = "\n".join(server.banner) + done.stderr + refused.stderr
    assert MATE_TOKEN not in printed and STRANGER_TOKEN not in printed
    for path in (tmp_path / "mate").rglob("*"):
        if path.is_file():
            assert MATE_TOKEN.encode() not in path.read_bytes(), path


def test_without_the_hub_or_a_token_the_run_goes_on_into_the_spool_with_one_message(
    hub, child_env, tmp_path
):
    stand_in, hub_env = hub
    client = _client(
        child_env, dict(hub_env, HF_ENDPOINT="http://127.0.0.1:1"), tmp_path / "client"
    )
    done = _log(client, "r", f"{USER}/board", steps=5)
    assert done.returncode == 0, done.stderr
    said = [line for line in done.stderr.splitlines() if line.startswith("trackio:")]
    assert len(said) == 1 and f"the Hub cannot say how the Space {USER}/board is" in said[0]
    assert f"https://{USER}-board.hf.space" in said[0]
    assert spool_files(tmp_path / "client")

    tokenless = _client(child_env, hub_env, tmp_path / "tokenless")
    tokenless.pop("HF_TOKEN")
    missing = _log(tokenless, "r", f"{USER}/board", steps=5)
    assert missing.returncode == 0, missing.stderr
    said = [line for line in missing.stderr.splitlines() if line.startswith("trackio:")]
    assert len(said) == 1, missing.stderr
    assert f"the Space {USER}/board is missing and cannot be created" in said[0]
    assert spool_files(tmp_path / "tokenless") and stand_in.repos == {}

    named_only = _log(client, "r", "board", steps=5)
    assert named_only.returncode == 1
    assert "names no user" in named_only.stderr.strip().splitlines()[-1]


def test_who_may_write_to_a_space():
    def whoami(name, role, orgs=(), scoped=None):
        token = {"role": role}
        if scoped is not None:
            token["fineGrained"] = {"scoped": scoped}
        return {"name": name, "orgs": list(orgs), "auth": {"accessToken": token}}

    assert may_write(whoami("ann", "write"), "ann/board")
    assert not may_write(whoami("ann", "read"), "ann/board")
    assert not may_write(whoami("bob", "write"), "ann/board")
    writer_in_lab = [{"name": "lab", "roleInOrg": "write"}]
    reader_in_lab = [{"name": "lab", "roleInOrg": "read"}]
    assert may_write(whoami("bob", "write", writer_in_lab), "lab/board")
    assert not may_write(whoami("bob", "write", reader_in_lab), "lab/board")
    grant = [{"entity": {"type": "space", "name": "ann/board"}, "permissions": ["repo.write"]}]
    only_read = [{"entity": {"type": "space", "name": "ann/board"}, "permissions": ["repo.read"]}]
    assert may_write(whoami("ann", "fineGrained", scoped=grant), "ann/board")
    assert not may_write(whoami("ann", "fineGrained", scoped=only_read), "ann/board")
    assert not may_write(whoami("ann", "fineGrained", scoped=grant), "ann/other")


def test_sync_sends_a_local_project_to_a_space_once(
    hub, child_env, cli_env, trackio_dir, tmp_path, monkeypatch
):
    import trackio

    stand_in, hub_env = hub
    for key, value in hub_env.items():
        monkeypatch.setenv(key, value)
    run = trackio.init(project="p", name="here")
    for step in range(30):
        trackio.log({"m0": step * 10.0, "m1": step * 10.0 + 1, "m2": step * 10.0 + 2})
    run.finish()
    server = TeamServer(
        dict(child_env, **hub_env), tmp_path / "space", "--hub-space", f"{USER}/board"
    ).start()
    stand_in.repos[("space", f"{USER}/board")] = Repo(
        "space", f"{USER}/board", private=False, sdk="docker", host=server.url
    )
    env = {**cli_env, **hub_env}
    try:
        sync = [sys.executable, "-m", "trackio.cli", "sync", "--project", "p"]
        first = subprocess.run(
            [*sync, "--space-id", "board"], env=env, capture_output=True, text=True, timeout=120
        )
        assert first.returncode == 0, first.stderr
        assert f"to the Space {USER}/board ({server.url}): 1 run(s), 90 value(s)" in first.stdout
        assert trackio.sync("p", space_id="board") == f"{USER}/board"
        missing = subprocess.run(
            [*sync[:-1], "nope", "--space-id", "board"], env=env, capture_output=True, text=True
        )
        assert missing.returncode == 1 and missing.stderr.count("\n") == 1, missing.stderr
        assert "nope" in missing.stderr
    finally:
        server.stop()
    monkeypatch.setenv("TRACKIO_DIR", str(tmp_path / "space"))
    values_exactly_once("p", "here", 30, 3)
