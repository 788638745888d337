"""A real `trackio server` process for the team-mode tests, and clients logging to it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

WRITE_TOKEN = "test-write-token"


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TeamServer:
    """`python -m trackio.cli server` on a fixed loopback port, storing in `directory`;
    it can be killed and started again on the same port."""

    def __init__(self, env: dict[str, str], directory: Path, *extra: str) -> None:
        self.env = dict(env, TRACKIO_DIR=str(directory))
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
            WRITE_TOKEN,
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
