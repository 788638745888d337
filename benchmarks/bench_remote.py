"""Team-mode benchmark: trackio and the PyPI trackio 0.43, each logging to its own
server on this machine, side by side in one run.

    python benchmarks/bench_remote.py [--steps 20000] [--pypi-venv DIR]

W1 is 1 run x 20,000 steps x 10 metrics, logged by a client process to a server
process on a loopback port. For each tracker it prints the
`log()` p50 and p99, the points per second from `init()` until `finish()` returns with
every value stored on the server (counted there afterwards), both of the median of 3
runs, the bytes sent per point (on one more run, through a counting proxy)
(request bodies and headers, through the proxy), and the total points per second of 4
clients logging W1 at once. For trackio it also prints `log()` in local mode, the
reference for team mode's cost in the training loop.

The PyPI trackio is installed (once) into its own virtual environment, never into
this one; without network access to PyPI its figures are skipped.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PYPI_VERSION = "0.43.0"
TOKEN = "bench-token"
CLIENT = r"""
import json, os, sys, time
steps, metrics = int(sys.argv[1]), int(sys.argv[2])
server = os.environ.get("BENCH_SERVER_URL")
import trackio
started = time.perf_counter()
kwargs = {"server_url": server} if server else {}
trackio.init(project="bench", name=os.environ["BENCH_RUN"], **kwargs)
costs = []
clock = time.perf_counter_ns
for step in range(steps):
    row = {f"m{m}": step * 0.001 + m for m in range(metrics)}
    before = clock()
    trackio.log(row)
    costs.append(clock() - before)
trackio.finish()
elapsed = time.perf_counter() - started
costs.sort()
print(json.dumps({"p50": costs[len(costs) // 2] / 1000, "p99": costs[int(len(costs) * 0.99)] / 1000,
                  "seconds": elapsed}))
"""
OUR_COUNT = r"""
import sys, trackio
print(sum(len(r.history()) for r in trackio.Api().runs("bench")))
"""
PYPI_SERVER = r"""
import sys, time, trackio
trackio.show(server_port=int(sys.argv[1]), host="127.0.0.1", open_browser=False, block_thread=False)
print("ready", flush=True)
while True:
    time.sleep(3600)
"""
PYPI_COUNT = r"""
import trackio
from trackio.sqlite_storage import SQLiteStorage
print(sum(len(SQLiteStorage.get_logs("bench", run_id=r.id)) for r in trackio.Api().runs("bench")))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class CountingProxy:
    """Forwards a loopback port to another, counting the bytes clients send."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.sent = 0
        self._lock = threading.Lock()
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, counted: bool) -> None:
        try:
            while True:
                data = source.recv(262144)
                if not data:
                    break
                if counted:
                    with self._lock:
                        self.sent += len(data)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def reset(self) -> None:
        with self._lock:
            self.sent = 0


def wait_listening(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


def run_clients(
    python: str, env: dict[str, str], count: int, steps: int
) -> tuple[list[dict], float]:
    started = time.perf_counter()
    processes = [
        subprocess.Popen(
            [python, "-c", CLIENT, str(steps), "10"],
            env=dict(env, BENCH_RUN=f"w1-{index}-{time.time_ns()}"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tempfile.gettempdir(),
        )
        for index in range(count)
    ]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=1800)
        if process.returncode != 0:
            raise RuntimeError(f"client failed: {err[-2000:]}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results, time.perf_counter() - started


def measure(
    label: str, python: str, server_env: dict[str, str], start_server, count_script: str, steps: int
) -> None:
    port = free_port()
    server = start_server(port)
    try:
        wait_listening(port)
        client_dir = tempfile.mkdtemp(prefix="bench-client-")
        env = dict(
            os.environ,
            TRACKIO_DIR=client_dir,
            TRACKIO_WRITE_TOKEN=TOKEN,
            TRACKIO_QUIET="1",
            BENCH_SERVER_URL=f"http://127.0.0.1:{port}",
        )
        if python != sys.executable:
            env.pop("PYTHONPATH", None)
        points = steps * 10
        singles = [run_clients(python, env, 1, steps)[0][0] for _ in range(3)]
        single = sorted(singles, key=lambda result: result["seconds"])[1]
        # Bytes are counted on a run of its own: the proxy's copying would slow the
        # timed runs.
        proxy = CountingProxy(port)
        run_clients(python, dict(env, BENCH_SERVER_URL=f"http://127.0.0.1:{proxy.port}"), 1, steps)
        sent = proxy.sent
        four, wall = run_clients(python, env, 4, steps)
        stored = int(
            subprocess.run(
                [python, "-c", count_script],
                env=dict(server_env),
                capture_output=True,
                text=True,
                check=True,
                cwd=tempfile.gettempdir(),
            ).stdout.strip()
        )
        expected = steps * 8
        print(
            f"{label}: W1 log() p50 {single['p50']:.1f} us, p99 {single['p99']:.1f} us; "
            f"end to end {points / single['seconds']:,.0f} points/s; "
            f"{sent / points:.1f} bytes sent per point; "
            f"4 clients {4 * points / wall:,.0f} points/s in total; "
            f"rows on the server {stored:,} of {expected:,}"
            + ("" if stored == expected else " (VALUES MISSING)")
        )
        shutil.rmtree(client_dir, ignore_errors=True)
    finally:
        server.kill()
        server.wait()


def pypi_python(venv: Path) -> str | None:
    python = venv / "bin" / "python"
    if not python.exists():
        try:
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            subprocess.run(
                [str(python), "-m", "pip", "install", "-q", f"trackio=={PYPI_VERSION}"],
                check=True,
                timeout=900,
            )
        except (subprocess.SubprocessError, OSError) as error:
            shutil.rmtree(venv, ignore_errors=True)
            print(
                f"PyPI trackio {PYPI_VERSION} could not be installed ({error}): no figures for it"
            )
            return None
    return str(python)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument(
        "--pypi-venv",
        default=str(Path.home() / ".cache" / "trackio-bench" / f"pypi-trackio-{PYPI_VERSION}"),
    )
    args = parser.parse_args()

    local_dir = tempfile.mkdtemp(prefix="bench-local-")
    (local,), _ = run_clients(
        sys.executable, dict(os.environ, TRACKIO_DIR=local_dir, TRACKIO_QUIET="1"), 1, args.steps
    )
    print(f"trackio local mode: W1 log() p50 {local['p50']:.1f} us, p99 {local['p99']:.1f} us")
    shutil.rmtree(local_dir, ignore_errors=True)

    ours_dir = tempfile.mkdtemp(prefix="bench-server-")
    ours_env = dict(os.environ, TRACKIO_DIR=ours_dir, TRACKIO_QUIET="1")

    def our_server(port: int) -> subprocess.Popen:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "trackio.cli",
                "server",
                "--port",
                str(port),
                "--dir",
                ours_dir,
                "--write-token",
                TOKEN,
            ],
            env=ours_env,
            stdout=subprocess.DEVNULL,
        )

    measure("trackio (team mode)", sys.executable, ours_env, our_server, OUR_COUNT, args.steps)
    shutil.rmtree(ours_dir, ignore_errors=True)

    python = pypi_python(Path(args.pypi_venv))
    if python is None:
        return
    theirs_dir = tempfile.mkdtemp(prefix="bench-pypi-server-")
    theirs_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    theirs_env.update(TRACKIO_DIR=theirs_dir, TRACKIO_WRITE_TOKEN=TOKEN, BROWSER="true")

    def their_server(port: int) -> subprocess.Popen:
        return subprocess.Popen(
            [python, "-c", PYPI_SERVER, str(port)],
            env=theirs_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=tempfile.gettempdir(),
        )

    measure(
        f"PyPI trackio {PYPI_VERSION}", python, theirs_env, their_server, PYPI_COUNT, args.steps
    )
    shutil.rmtree(theirs_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
