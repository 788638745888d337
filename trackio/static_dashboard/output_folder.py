"""Where a frozen dashboard goes: a new folder, an empty one, or an earlier freeze it
replaces, and never half of one."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MARKER = Path("data") / "frozen.json"
"""The file that says a folder holds a frozen dashboard (see `marker_content`)."""
FORMAT = "trackio-frozen-dashboard"


def marker_content(project: str, frozen_at: float, version: str) -> dict[str, object]:
    """What `MARKER` holds: the format, the project, when it was frozen and by which trackio."""
    return {"format": FORMAT, "project": project, "frozen_at": frozen_at, "trackio": version}


def is_frozen_dashboard(folder: Path) -> bool:
    """Whether `folder` holds a dashboard `trackio freeze` wrote."""
    try:
        content = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(content, dict) and content.get("format") == FORMAT


def check_output(output: Path) -> None:
    """Raise `FileExistsError` unless `output` is free: missing, an empty folder, or an
    earlier freeze (which will be replaced)."""
    if not output.exists() and not output.is_symlink():
        return
    if not output.is_dir():
        raise FileExistsError(f"{output} exists and is not a folder")
    if any(output.iterdir()) and not is_frozen_dashboard(output):
        raise FileExistsError(
            f"{output} is not empty and holds no earlier freeze: choose a new or empty folder"
        )


@contextmanager
def replacing(output: Path) -> Iterator[Path]:
    """A new folder beside `output` to write into. When the block ends without an error
    it takes `output`'s place, whatever was there (checked by `check_output`) removed;
    after an error it is removed and `output` is as it was."""
    output = output.absolute()
    output.parent.mkdir(parents=True, exist_ok=True)
    tag = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    fresh = output.parent / f".{output.name}.freezing-{tag}"
    fresh.mkdir()
    try:
        yield fresh
        old = output.parent / f".{output.name}.replaced-{tag}"
        had_old = output.exists()
        if had_old:
            output.rename(old)
        try:
            fresh.rename(output)
        except OSError:
            if had_old:
                old.rename(output)
            raise
        if had_old:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
