"""A frozen dashboard published as a static Hugging Face Space: `trackio freeze
--space-id`, `trackio.sync(..., sdk="static")` and `trackio.freeze(...)`. The Space
serves the files `trackio freeze` writes; no trackio process runs there."""

from __future__ import annotations

import io
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

from trackio.hub.space_target import hub_api

FREEZE_PATH = "/api/freeze"
"""The live server's endpoint answering a project's frozen dashboard, as a .tar.gz."""

_README = """\
---
title: {title}
emoji: 📈
colorFrom: indigo
colorTo: blue
sdk: static
app_file: index.html
pinned: false
tags:
  - trackio
---

A read-only snapshot of the trackio project `{project}`, frozen {when}.
"""


def publish_folder(folder: Path, space_id: str, project: str, *, private: bool | None) -> str:
    """Upload the frozen dashboard in `folder` as the static Space `space_id` (made
    when missing; what an earlier publish left there is replaced). Returns its page."""
    from trackio.hub.deploy import full_space_id

    api = hub_api()
    space_id = full_space_id(api, space_id)
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    readme = _README.format(title=space_id.split("/")[-1], project=project, when=when)
    (folder / "README.md").write_text(readme, encoding="utf-8")
    api.create_repo(space_id, repo_type="space", space_sdk="static", private=private, exist_ok=True)
    api.upload_folder(
        folder_path=str(folder),
        repo_id=space_id,
        repo_type="space",
        delete_patterns=["*"],
        commit_message=f"trackio freeze of {project}",
    )
    return space_id


def publish_static(
    project: str, space_id: str, *, private: bool | None = None, directory: Path | None = None
) -> str:
    """Freeze the local project `project` and publish it as the static Space
    `space_id`; returns the Space's full id."""
    from trackio.static_dashboard import freeze_project

    with tempfile.TemporaryDirectory(prefix="trackio-freeze-") as temporary:
        folder = Path(temporary) / "site"
        freeze_project(project, folder, directory=directory)
        return publish_folder(folder, space_id, project, private=private)


def freeze_space(
    space_id: str,
    project: str,
    new_space_id: str | None = None,
    private: bool | None = None,
) -> str:
    """Freeze the project `project` of the live Space `space_id` into the static Space
    `new_space_id` (default `<space_id>_static`); returns its full id. The live Space
    computes the frozen dashboard from everything it stores; it is not changed."""
    from trackio.hub.deploy import full_space_id
    from trackio.hub.sync import wait_until_answering

    api = hub_api()
    space_id = full_space_id(api, space_id)
    server = wait_until_answering(space_id)
    with tempfile.TemporaryDirectory(prefix="trackio-freeze-") as temporary:
        folder = Path(temporary) / "site"
        _download_frozen(server.url, project, folder)
        return publish_folder(
            folder, new_space_id or f"{space_id}_static", project, private=private
        )


def _download_frozen(url: str, project: str, folder: Path) -> None:
    from urllib.parse import urlencode

    from trackio.remote.http import NETWORK_ERRORS, Connection, ServerAddress

    connection = Connection(ServerAddress(url), timeout=300)
    try:
        status, body = connection.request_bytes(
            "GET", f"{FREEZE_PATH}?{urlencode({'project': project})}"
        )
    except NETWORK_ERRORS as error:
        raise RuntimeError(f"cannot reach {url}: {error}") from None
    finally:
        connection.close()
    if status != 200:
        raise RuntimeError(f"{url} could not freeze project {project!r}: {_said(status, body)}")
    folder.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as archive:
        members = archive.getmembers()
        for member in members:
            parts = Path(member.name).parts
            if (
                member.name.startswith("/")
                or ".." in parts
                or not (member.isfile() or member.isdir())
            ):
                raise RuntimeError(f"{url} answered an archive with {member.name!r} in it")
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        archive.extractall(folder, members=members, **safe)  # type: ignore[arg-type]


def _said(status: int, body: bytes) -> Any:
    import json

    from trackio.remote.http import error_text

    try:
        answer = json.loads(body)
    except ValueError:
        answer = None
    return error_text(status, answer)
