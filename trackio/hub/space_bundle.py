"""The files of a trackio Space: a wheel of this trackio (its dashboard included), a
Dockerfile installing it, the start command, and the README whose header tells the
Hub how to run them. What runs in the Space is this package, never the unrelated
`trackio` release on PyPI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import trackio

APP_PORT = 7860

_DOCKERFILE = """\
FROM python:3.11-slim
RUN useradd -m -u 1000 user
USER user
ENV PATH="/home/user/.local/bin:$PATH" TRACKIO_DIR=/tmp/trackio
WORKDIR /home/user/app
COPY --chown=user . .
RUN pip install --no-cache-dir --user "$(ls trackio-*.whl)[hub]"
EXPOSE {port}
CMD ["sh", "start.sh"]
"""

_START = """\
#!/bin/sh
# The Space's start command: the trackio server on the Space's port, answering to its
# host name. Reading is guarded by the Space's own visibility; writing needs the secret
# TRACKIO_WRITE_TOKEN, or the Hugging Face token of someone who may write to the
# Space. With the variable TRACKIO_BUCKET_MOUNT the projects live in the bucket mounted
# there (SQLite with a rollback journal, synced on every commit: no shared memory on
# that mount); else, with TRACKIO_DATASET_ID, they are kept in that Dataset (snapshots
# every 5 minutes and on stopping, brought back at start).
set -e
set -- --host 0.0.0.0 --port "${{PORT:-{port}}}" --public-read
if [ -n "$SPACE_HOST" ]; then set -- "$@" --allowed-host "$SPACE_HOST"; fi
if [ -n "$SPACE_ID" ]; then set -- "$@" --hub-space "$SPACE_ID"; fi
if [ -n "$TRACKIO_BUCKET_MOUNT" ]; then
  export TRACKIO_SQLITE_JOURNAL=delete
  set -- "$@" --dir "$TRACKIO_BUCKET_MOUNT/trackio"
elif [ -n "$TRACKIO_DATASET_ID" ]; then
  set -- "$@" --snapshot-dataset "$TRACKIO_DATASET_ID"
fi
exec trackio server "$@"
"""

_README = """\
---
title: {title}
emoji: 📈
colorFrom: indigo
colorTo: blue
sdk: docker
app_port: {port}
pinned: false
---

A trackio dashboard: experiments logged from any machine with
`trackio.init(project=..., space_id="{space_id}")`.
"""


def source_root() -> Path:
    """The checkout this trackio is installed from (editable installs); a `RuntimeError`
    saying so when there is none to build a wheel of."""
    root = Path(trackio.__file__).resolve().parent.parent
    if not (root / "pyproject.toml").is_file() or not (root / "hatch_build.py").is_file():
        raise RuntimeError(
            f"building a Space needs trackio's source checkout (pip install -e), and {root} "
            "is not one"
        )
    return root


def build_wheel(into: Path) -> Path:
    """A wheel of this trackio in `into`, with its dashboard as already built (no
    download, no npm run)."""
    into.mkdir(parents=True, exist_ok=True)
    root = source_root()
    if not (root / "trackio" / "dashboard" / "dist" / "index.html").is_file():
        raise RuntimeError("the dashboard is not built: run `pip install -e .` in the checkout")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
        + ["-w", str(into), str(root)],
        env=dict(os.environ, TRACKIO_SKIP_DASHBOARD_BUILD="1"),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise RuntimeError(f"building the wheel failed: {last}")
    (wheel,) = sorted(into.glob("trackio-*.whl"))
    return wheel


def build_space_bundle(folder: Path, space_id: str) -> list[Path]:
    """Write the Space's files into `folder` (made if missing); returns them."""
    folder.mkdir(parents=True, exist_ok=True)
    wheel = build_wheel(folder)
    files = {
        "Dockerfile": _DOCKERFILE.format(port=APP_PORT),
        "start.sh": _START.format(port=APP_PORT),
        "README.md": _README.format(
            title=space_id.split("/")[-1], port=APP_PORT, space_id=space_id
        ),
    }
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return [wheel, *(folder / name for name in files)]
