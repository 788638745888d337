"""Reading what a child process prints, as it prints it."""

import os
import select
import time


def wait_for_line(proc, prefix, timeout=60):
    """The first whole line `proc` prints on stdout that starts with `prefix` (the process
    keeps running); an AssertionError with what it printed if none comes within `timeout`
    s. A line counts once its newline arrived: a read can end mid-line."""
    deadline = time.monotonic() + timeout
    fd = proc.stdout.fileno()
    buffer = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], deadline - time.monotonic())
        if not ready:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        buffer += chunk
        complete = buffer[: buffer.rfind(b"\n") + 1]
        for line in complete.splitlines():
            if line.startswith(prefix.encode()):
                return line.decode()
    errors = proc.stderr.read() if proc.stderr is not None and proc.poll() is not None else ""
    raise AssertionError(f"child never printed {prefix!r}: {buffer!r} {errors}")


def first_lines_of_show(env, *args, count=2):
    """The first `count` lines `trackio show --no-browser --port 0 ARGS` prints, after
    which the dashboard process is stopped."""
    import subprocess
    import sys

    command = [sys.executable, "-m", "trackio.cli", "show", "--no-browser", "--port", "0"]
    with subprocess.Popen([*command, *args], env=env, stdout=subprocess.PIPE, text=True) as process:
        try:
            return [process.stdout.readline() for _ in range(count)]
        finally:
            process.terminate()
