"""Reading what a child process prints, as it prints it."""

import os
import select
import time


def wait_for_line(proc, prefix, timeout=60):
    """The first line `proc` prints on stdout that starts with `prefix` (the process keeps
    running); an AssertionError with what it printed if none comes within `timeout` s."""
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
        for line in buffer.splitlines():
            if line.startswith(prefix.encode()):
                return line.decode()
    errors = proc.stderr.read() if proc.stderr is not None and proc.poll() is not None else ""
    raise AssertionError(f"child never printed {prefix!r}: {buffer!r} {errors}")
