"""Team servers on PostgreSQL: two servers sharing one database, PostgreSQL restarted
under a logging client, projects created by several processes at once, exports read
straight from the database."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import time

import psycopg
import pytest
from team_support import (
    TeamServer,
    client_env,
    ingest_body,
    post_batch,
    start_logger,
    values_exactly_once,
)

import trackio
from trackio.storage import open_store, use_database


@pytest.fixture
def database(postgres_url):
    """The test's database, which this process's `Api` reads too."""
    use_database(postgres_url)
    try:
        yield postgres_url
    finally:
        use_database(None)


@pytest.fixture
def two_servers(database, child_env, trackio_dir):
    """Two `trackio server` processes on one database and one media folder."""
    servers = [TeamServer(child_env, trackio_dir, "--db", database) for _ in range(2)]
    for server in servers:
        server.start()
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()


def test_two_servers_one_database_clients_split_every_value_once(two_servers, child_env, tmp_path):
    clients = []
    for index in range(6):
        server = two_servers[index % 2]
        env = client_env(child_env, tmp_path / f"client{index}", server)
        clients.append(start_logger(env, "shared", f"c{index}", 3000, 5))
    for client in clients:
        out, err = client.communicate(timeout=300)
        assert client.returncode == 0, err
    for index in range(6):
        assert values_exactly_once("shared", f"c{index}", 3000, 5).status == "finished"
    listings = [json.loads(s.request("/api/runs?project=shared")[1]) for s in two_servers]
    names = [sorted(run["name"] for run in listing["runs"]) for listing in listings]
    assert names[0] == names[1] == [f"c{index}" for index in range(6)]
    first, second = (
        json.loads(s.request("/api/series?project=shared&metric=m3&max_points=50")[1])
        for s in two_servers
    )
    assert first["series"] == second["series"] and len(first["series"]) == 6


def test_a_batch_retried_against_the_other_server_is_stored_once(two_servers):
    body = ingest_body(project="retried", batch_id="sent-twice")
    assert post_batch(two_servers[0], body)[1]["duplicate"] is False
    assert post_batch(two_servers[1], body)[1]["duplicate"] is True
    assert [row["loss"] for row in trackio.Api().run("retried/r").history()] == [1.0, 2.0]


def _cluster() -> list[str] | None:
    """`pg_ctlcluster VERSION NAME` of the cluster on port 5432, if this user may restart it."""
    if shutil.which("pg_ctlcluster") is None or shutil.which("pg_lsclusters") is None:
        return None
    listing = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True)
    for line in listing.stdout.splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[2] == "5432":
            return ["pg_ctlcluster", fields[0], fields[1]]
    return None


def test_postgres_restarted_mid_run_loses_nothing(database, child_env, trackio_dir, tmp_path):
    cluster = _cluster()
    if cluster is None:
        pytest.skip("restarting PostgreSQL needs pg_ctlcluster and a cluster on port 5432")
    server = TeamServer(child_env, trackio_dir, "--db", database).start()
    try:
        env = client_env(child_env, tmp_path / "client", server, TRACKIO_FINISH_TIMEOUT="90")
        client = start_logger(env, "restarted", "r", 600, 4, 0.01)
        from child_output import wait_for_line

        wait_for_line(client, "halfway")
        stopped = subprocess.run([*cluster, "stop", "-m", "fast"], capture_output=True, text=True)
        assert stopped.returncode == 0, stopped.stderr
        time.sleep(3)
        started = subprocess.run([*cluster, "start"], capture_output=True, text=True)
        assert started.returncode == 0, started.stderr
        out, err = client.communicate(timeout=180)
        assert client.returncode == 0, err
        assert "finished" in out and "are not yet on" not in err
        assert values_exactly_once("restarted", "r", 600, 4).status == "finished"
        status, answer = server.request("/api/runs?project=restarted")
        assert status == 200 and [r["name"] for r in json.loads(answer)["runs"]] == ["r"]
    finally:
        server.stop()


def test_processes_creating_one_project_at_once_share_it(database, child_env):
    script = textwrap.dedent(
        """
        import sys
        from trackio.storage import open_store, use_database
        from trackio.storage.records import RunRequest
        use_database(sys.argv[1])
        with open_store("raced", write=True, create=True) as store:
            store.open_run(RunRequest(sys.argv[2], None, "never", None, None, None, [], {}))
        """
    )
    children = [
        subprocess.Popen([sys.executable, "-c", script, database, f"run{index}"], env=child_env)
        for index in range(4)
    ]
    assert [child.wait(timeout=60) for child in children] == [0] * 4
    with open_store("raced") as store:
        assert sorted(run.name for run in store.list_runs()) == [f"run{i}" for i in range(4)]
    with psycopg.connect(database) as conn:
        registered = conn.execute("SELECT name FROM trackio.projects").fetchall()
    assert registered == [("raced",)]


def test_export_reads_the_database_directly(database, cli, tmp_path):
    run = trackio.init(project="exported", name="r")
    for step in range(5):
        trackio.log({"loss": 1.0 / (step + 1)})
    trackio.finish()
    assert run.id
    use_database(None)
    output = tmp_path / "out.csv"
    done = cli("export", "--project", "exported", "--output", output, "--db", database)
    assert done.returncode == 0, done.stderr
    lines = output.read_text().splitlines()
    assert len(lines) == 6 and "loss" in lines[0]
    missing = cli("export", "--project", "exported", "--output", output)
    assert missing.returncode == 1 and "exported" in missing.stderr
    unreachable = cli(
        "export",
        "--project",
        "exported",
        "--output",
        output,
        "--db",
        "postgresql://postgres@127.0.0.1:1/none",
    )
    assert unreachable.returncode == 1
    assert "cannot reach the database postgresql://postgres@127.0.0.1:1/none" in unreachable.stderr


def test_a_database_that_cannot_be_reached_is_one_message_and_exit_1(cli, cli_env):
    done = cli("server", "--port", "0", "--db", "postgresql://nobody:secret@127.0.0.1:1/none")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(
        "trackio: cannot reach the database postgresql://nobody@127.0.0.1:1/"
    )
    assert "secret" not in done.stderr + done.stdout
    env = dict(cli_env, TRACKIO_DATABASE_URL="not a url")
    from_env = subprocess.run(
        [sys.executable, "-m", "trackio.cli", "server", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert from_env.returncode == 1 and "cannot reach the database" in from_env.stderr
