"""A real `trackio server` process for the team-mode tests, and clients logging to it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import trackio
from trackio.remote.wire import OpenRequest, encode_batch
from trackio.storage.records import RunBatch, RunRequest

WRITE_TOKEN = "test-write-token"

LOGGER = """
import math, sys, time, trackio
project, name, steps, metrics = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
pause = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
run = trackio.init(project=project, name=name, config={"lr": 0.01, "name": name})
print("started", run.id, flush=True)
for step in range(steps):
    trackio.log({f"m{m}": step * 10.0 + m for m in range(metrics)})
    if pause:
        time.sleep(pause)
    if step == steps // 2:
        print("halfway", flush=True)
    if pause and step % 50 == 0:
        print("at", step, flush=True)
print("logged", flush=True)
trackio.finish()
print("finished", flush=True)
"""


def start_logger(env: dict[str, str], *args: object, stdout=subprocess.PIPE) -> subprocess.Popen:
    """A client process running `LOGGER` with `args` (project, name, steps, metrics[, pause])."""
    return subprocess.Popen(
        [sys.executable, "-c", LOGGER, *map(str, args)],
        env=env,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
    )


def values_exactly_once(project: str, name: str, steps: int, metrics: int):
    """The run `name` of `project` (read with `Api`), after checking it holds each of
    `LOGGER`'s values once, at every step."""
    (run,) = [r for r in trackio.Api().runs(project) if r.name == name]
    rows = run.history()
    assert [row["step"] for row in rows] == list(range(steps))
    for row in rows:
        assert {k: v for k, v in row.items() if k.startswith("m")} == {
            f"m{m}": row["step"] * 10.0 + m for m in range(metrics)
        }
    return run


def ingest_body(
    project: str = "guarded",
    run_id: str = "run00001",
    batch_id: str = "batch-0001",
    values: tuple[float, ...] = (1.0, 2.0),
) -> bytes:
    """A gzipped ingest batch opening run "r" and logging `values` as `loss`."""
    batch = RunBatch(run_id)
    batch.series["loss"] = (list(range(len(values))), list(values), [time.time()] * len(values))
    request = RunRequest("r", run_id, "allow", None, None, None, [], {})
    return encode_batch(batch_id, project, [OpenRequest(run_id, request)], [batch])


def post_batch(team, body, token=WRITE_TOKEN, gzip_header=True, host=None):
    """(status, decoded answer) of POSTing `body` to the server's ingest endpoint."""
    headers = {"Content-Type": "application/json"}
    if gzip_header:
        headers["Content-Encoding"] = "gzip"
    if token is not None:
        headers["X-Trackio-Write-Token"] = token
    status, answer = team.request("/api/ingest", body, headers, host=host)
    return status, json.loads(answer) if answer.startswith(b"{") else answer


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TeamServer:
    """`python -m trackio.cli server` on a fixed loopback port, storing in `directory`;
    it can be killed and started again on the same port."""

    def __init__(
        self, env: dict[str, str], directory: Path, *extra: str, write_token: str = WRITE_TOKEN
    ) -> None:
        self.env = dict(env, TRACKIO_DIR=str(directory))
        self.write_token = write_token
        self.env.pop("TRACKIO_WRITE_TOKEN", None)
        self.directory = directory
        self.extra = extra
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> TeamServer:
        command = [
            sys.executable,
            "-m",
            "trackio.cli",
            "server",
            "--port",
            str(self.port),
            "--dir",
            str(self.directory),
            "--write-token",
            self.write_token,
            *self.extra,
        ]
        self.process = subprocess.Popen(
            command, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self.banner = _banner(self.process)
        return self

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Stop the server with `sig`; what it printed since it started is added to
        `banner`."""
        assert self.process is not None
        self.process.send_signal(sig)
        out, err = self.process.communicate(timeout=30)
        self.banner += (out + err).decode(errors="replace").splitlines()
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.kill(signal.SIGTERM)

    def request(
        self,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        host: str | None = None,
    ) -> tuple[int, bytes]:
        """(status, body) of one request; a POST when `body` is given."""
        request = urllib.request.Request(
            self.url + path,
            data=body,
            headers=dict(headers or {}),
            method="POST" if body is not None else "GET",
        )
        if host is not None:
            request.add_header("Host", host)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()


def _banner(process: subprocess.Popen, timeout: float = 60.0) -> list[str]:
    """What a starting server prints, up to a moment after its "running at" line."""
    import select

    fd = process.stdout.fileno()
    text = b""
    deadline = time.monotonic() + timeout
    while b"* trackio server running at" not in text or not text.endswith(b"\n"):
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        chunk = os.read(fd, 65536) if ready else b""
        if not chunk:
            errors = process.stderr.read().decode() if process.poll() is not None else ""
            raise AssertionError(f"the server did not start: {text!r} {errors}")
        text += chunk
    while select.select([fd], [], [], 0.5)[0]:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        text += chunk
    return text.decode().splitlines()


def client_env(
    base: dict[str, str], directory: Path, server: TeamServer, **extra: str
) -> dict[str, str]:
    """The environment of a client process logging to `server`, its spool in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    settings = {
        "TRACKIO_DIR": str(directory),
        "TRACKIO_SERVER_URL": server.url,
        "TRACKIO_WRITE_TOKEN": WRITE_TOKEN,
        "TRACKIO_QUIET": "1",
        **extra,
    }
    return {**base, **settings}


def wait_until(condition, timeout: float = 60.0, every: float = 0.1) -> None:
    """Poll `condition` until it is true; AssertionError after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    raise AssertionError(f"condition not met within {timeout} s")


def spool_files(directory: Path) -> list[Path]:
    """The spool files under a client's data directory."""
    folder = directory / ".spool"
    return sorted(folder.glob("*.spool")) if folder.is_dir() else []


def send_signal(process: subprocess.Popen, sig: int) -> None:
    """Send `sig` and wait for the process to end."""
    os.kill(process.pid, sig)
    process.wait(timeout=60)


def latest_line(process: subprocess.Popen, prefix: str, timeout: float = 5.0) -> str:
    """The last whole line starting with `prefix` that `process` has printed so far
    (reading everything it printed, waiting up to `timeout` s for the first one)."""
    import select

    fd = process.stdout.fileno()
    buffer = b""
    deadline = time.monotonic() + timeout
    found = None
    while True:
        wait = max(0.0, deadline - time.monotonic()) if found is None else 0.0
        ready, _, _ = select.select([fd], [], [], wait)
        if not ready:
            break
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        buffer += chunk
        for line in buffer[: buffer.rfind(b"\n") + 1].splitlines():
            if line.startswith(prefix.encode()):
                found = line.decode()
        buffer = buffer[buffer.rfind(b"\n") + 1 :]
    if found is None:
        raise AssertionError(f"the process printed no line starting with {prefix!r}")
    return found
