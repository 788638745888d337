"""Media kept at an fsspec URL (`trackio server --media s3://...`): two servers on one
PostgreSQL database and no shared folder serve each other's media, against a local
S3 stand-in (moto's server on a loopback port; the real S3 is not reachable here)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import urllib.parse

import pytest
from team_support import TeamServer, client_env, free_port

import trackio
from trackio.storage import use_database, use_media_url

BUCKET = "team-media"


@pytest.fixture
def s3(monkeypatch):
    """An S3 stand-in with an empty bucket; its endpoint and keys in the environment."""
    boto3 = pytest.importorskip("boto3")
    moto_server = pytest.importorskip("moto.server")
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    settings = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint,
        "FSSPEC_S3_ENDPOINT_URL": endpoint,
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    try:
        yield client
    finally:
        server.stop()


def _keys(client) -> list[str]:
    listing = client.list_objects_v2(Bucket=BUCKET)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def test_two_servers_without_a_shared_folder_serve_each_others_media(
    s3, postgres_url, child_env, tmp_path
):
    media_url = f"s3://{BUCKET}/trackio"
    servers = [
        TeamServer(
            child_env,
            tmp_path / f"server{index}",
            "--db",
            postgres_url,
            "--media",
            media_url,
        ).start()
        for index in range(2)
    ]
    try:
        script = textwrap.dedent(
            """
            import numpy as np, pandas as pd, trackio
            trackio.init(project="pictures", name="r")
            pixels = np.zeros((6, 8, 3), dtype=np.uint8)
            pixels[:, :, 0] = 250
            cell = trackio.Image(np.full((4, 4, 3), 90, dtype=np.uint8))
            trackio.log({"sample": trackio.Image(pixels, caption="red"),
                         "rows": trackio.Table(dataframe=pd.DataFrame({"img": [cell], "x": [1]}))})
            trackio.finish()
            """
        )
        env = client_env(child_env, tmp_path / "client", servers[0])
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        keys = _keys(s3)
        assert any(key.endswith(".png") for key in keys), keys
        assert all(key.startswith("trackio/pictures.media/") for key in keys), keys
        status, body = servers[1].request("/api/media?project=pictures")
        assert status == 200, body
        listing = json.loads(body)
        image = next(item for item in listing["media"] if item["key"] == "sample")
        from_second = servers[1].request("/" + image["url"])
        from_first = servers[0].request("/" + image["url"])
        assert from_second[0] == 200 and from_second[1] == from_first[1]
        assert from_second[1].startswith(b"\x89PNG")
        status, page = servers[1].request(
            "/api/table?"
            + urllib.parse.urlencode({"project": "pictures", "run": image["run"], "key": "rows"})
        )
        assert status == 200, page

        use_database(postgres_url)
        use_media_url(media_url)
        run = trackio.Api().run("pictures/r")
        row = run.history()[0]
        assert row["sample"]["caption"] == "red"
        run.delete()
        assert _keys(s3) == []
    finally:
        use_database(None)
        use_media_url(None)
        for server in servers:
            server.stop()


def test_a_media_store_that_refuses_keeps_the_batch_for_later(
    s3, postgres_url, child_env, tmp_path
):
    server = TeamServer(
        child_env,
        tmp_path / "server",
        "--db",
        postgres_url,
        "--media",
        "s3://no-such-bucket/trackio",
    ).start()
    try:
        script = textwrap.dedent(
            """
            import numpy as np, trackio
            trackio.init(project="refused", name="r")
            trackio.log({"loss": 1.0, "sample": trackio.Image(np.zeros((4, 4, 3), dtype=np.uint8))})
            trackio.finish()
            """
        )
        env = client_env(child_env, tmp_path / "client", server, TRACKIO_FINISH_TIMEOUT="3")
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        assert "not yet on" in done.stderr, done.stderr
        status, body = server.request("/api/runs?project=refused")
        (run,) = json.loads(body)["runs"]
        assert status == 200 and "loss" not in run["summary"], run
        s3.create_bucket(Bucket="no-such-bucket")
        sync = subprocess.run(
            [sys.executable, "-m", "trackio.cli", "sync", "--pending"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert sync.returncode == 0, sync.stdout + sync.stderr
        status, body = server.request(
            "/api/media?" + urllib.parse.urlencode({"project": "refused"})
        )
        assert status == 200 and len(json.loads(body)["media"]) == 1
        (run,) = json.loads(server.request("/api/runs?project=refused")[1])["runs"]
        assert run["summary"]["loss"] == 1.0
    finally:
        server.stop()


def test_a_media_url_no_file_system_serves_is_one_message_and_exit_1(cli):
    done = cli("server", "--port", "0", "--media", "nosuchproto://bucket/x")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "trackio: cannot keep media at nosuchproto://bucket/x: Protocol not known: nosuchproto"
    )
