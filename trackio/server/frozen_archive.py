"""A project's frozen dashboard (`trackio freeze`) as one .tar.gz, computed by the
server that stores the project: what `trackio.freeze(space_id, project)` publishes
as a static Space."""

from __future__ import annotations

import io
import tarfile
import tempfile
from pathlib import Path


def frozen_archive(project: str) -> bytes:
    """The files `freeze_project` writes for `project`, as a gzipped tar; the store's
    errors (a missing project) come out as they are."""
    from trackio.static_dashboard import freeze_project

    with tempfile.TemporaryDirectory(prefix="trackio-freeze-") as temporary:
        folder = Path(temporary) / "site"
        freeze_project(project, folder)
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=6) as archive:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    archive.add(path, arcname=path.relative_to(folder).as_posix())
        return buffer.getvalue()
