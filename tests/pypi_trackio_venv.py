"""A virtual environment holding the PyPI trackio at a pinned version, for the tests
that run its real client against our server.

It is made once with `python -m venv` and `pip install trackio==<version>` under
`~/.cache/trackio-test-venvs/` (or `TRACKIO_TEST_VENV_DIR`) and reused by later runs;
our own environment is never touched. When it cannot be made (no network, no index),
the tests that need it skip and say why.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

PYPI_TRACKIO_VERSION = "0.43.0"
_READY_MARK = ".trackio-test-venv-ready"
_INSTALL_TIMEOUT_SECONDS = 900


def venvs_root() -> Path:
    """Where the cached environments live."""
    explicit = os.environ.get("TRACKIO_TEST_VENV_DIR")
    if explicit:
        return Path(explicit).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME")
    base = Path(cache).expanduser() if cache else Path.home() / ".cache"
    return base / "trackio-test-venvs"


def _python_in(venv: Path) -> Path:
    # POSIX only, like the fcntl lock below: the suite runs on Linux.
    return venv / "bin" / "python"


def pypi_trackio_python(version: str = PYPI_TRACKIO_VERSION) -> Path:
    """The interpreter of an environment with `trackio==version` installed, made on
    first use; `RuntimeError` saying why when it cannot be made."""
    root = venvs_root()
    root.mkdir(parents=True, exist_ok=True)
    venv = root / f"pypi-trackio-{version}"
    python = _python_in(venv)
    # Several test processes may ask at once: one builds, the others wait for it.
    with open(root / f".pypi-trackio-{version}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (venv / _READY_MARK).is_file() and python.exists():
            return python
        # A half-made environment (an interrupted install) is rebuilt from scratch.
        shutil.rmtree(venv, ignore_errors=True)
        steps = [
            [sys.executable, "-m", "venv", str(venv)],
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                f"trackio=={version}",
            ],
        ]
        for command in steps:
            try:
                done = subprocess.run(
                    command,
                    capture_output=True,
                    text=True,
                    timeout=_INSTALL_TIMEOUT_SECONDS,
                    stdin=subprocess.DEVNULL,
                )
            except (OSError, subprocess.TimeoutExpired) as error:
                shutil.rmtree(venv, ignore_errors=True)
                raise RuntimeError(f"{' '.join(command[:4])} failed: {error}") from None
            if done.returncode != 0:
                shutil.rmtree(venv, ignore_errors=True)
                lines = (done.stderr or done.stdout).strip().splitlines()
                # pip's own verdict, not the warnings about unreachable indexes before it.
                tail = [line for line in lines if line.startswith("ERROR")][-2:] or lines[-3:]
                raise RuntimeError(f"{' '.join(command[:4])} failed: {' | '.join(tail)}")
        check = subprocess.run(
            [str(python), "-c", "import trackio; print(trackio.__version__)"],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=str(root),
        )
        if check.returncode != 0 or check.stdout.strip() != version:
            shutil.rmtree(venv, ignore_errors=True)
            raise RuntimeError(
                f"the installed trackio is not {version}: {check.stdout.strip()!r} "
                f"{check.stderr.strip()[-300:]!r}"
            )
        (venv / _READY_MARK).write_text(version + "\n")
        return python
