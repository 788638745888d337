"""Running the real `trackio` command line in a child process."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from typing import IO, Any


def run_cli(
    env: Mapping[str, str],
    *args: object,
    timeout: float = 60,
    stdin: int | IO[Any] | None = None,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """`python -m trackio.cli ARGS...` with `env`, its output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "trackio.cli", *map(str, args)],
        env=env,
        stdin=stdin,
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
