"""`trackio.sync` and `trackio.deploy_as_space`, with the PyPI trackio's signatures:
a local project sent to a Space's server (the Space made first when missing)."""

from __future__ import annotations

import os
import threading
import time
import warnings
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trackio.hub.space_target import SpaceServer

SPACE_WAIT_SECONDS = 300.0
SDKS = ("gradio", "docker", "static")


def deploy_as_space(
    space_id: str,
    space_storage: Any = None,
    dataset_id: str | None = None,
    bucket_id: str | None = None,
    private: bool | None = None,
) -> None:
    """Create or update the Space `space_id` running this trackio's server (see
    `trackio deploy`). `space_storage` (paid persistent disks) is not used: projects
    are kept in the Dataset `dataset_id` or the bucket `bucket_id`."""
    from trackio.hub.deploy import deploy_space

    if space_storage is not None:
        warnings.warn(
            "deploy_as_space() ignores space_storage: the projects are kept in a Dataset "
            "or a bucket (bucket_id=)",
            UserWarning,
            stacklevel=2,
        )
    deploy_space(space_id, private=private, dataset_id=dataset_id, bucket_id=bucket_id)


def sync(
    project: str,
    space_id: str | None = None,
    private: bool | None = None,
    force: bool = False,
    run_in_background: bool = False,
    sdk: str = "gradio",
    dataset_id: str | None = None,
    bucket_id: str | None = None,
) -> str:
    """Send the local project `project` to the Space `space_id` (default
    `TRACKIO_SPACE_ID`), creating the Space when missing; returns its full id.

    Sending again sends nothing twice, so `force` changes nothing. `sdk="static"`
    publishes a read-only snapshot (a static Space, see `trackio.freeze`) instead of
    logging to a live one. With `run_in_background=True` the work runs in a thread.
    """
    from trackio.storage.paths import validate_project_name

    del force
    if sdk not in SDKS:
        raise ValueError(f"sdk must be 'gradio' or 'static', got {sdk!r}")
    validate_project_name(project)
    space_id = space_id or os.environ.get("TRACKIO_SPACE_ID")
    if not space_id:
        raise ValueError("sync() needs a space_id (or TRACKIO_SPACE_ID)")
    from trackio.hub.deploy import full_space_id
    from trackio.hub.space_target import hub_api

    space_id = full_space_id(hub_api(), space_id)

    def work() -> None:
        if sdk == "static":
            from trackio.hub.static_space import publish_static

            publish_static(project, space_id, private=private)
        else:
            print("* " + send_to_space(project, space_id, private, dataset_id, bucket_id))

    if run_in_background:
        threading.Thread(target=work, name="trackio-sync", daemon=False).start()
    else:
        work()
    return space_id


def send_to_space(
    project: str,
    space_id: str,
    private: bool | None = None,
    dataset_id: str | None = None,
    bucket_id: str | None = None,
) -> str:
    """Send the project's runs to the Space's server, waiting (up to 5 minutes) for a
    Space that builds; returns what was sent, in words."""
    from trackio.remote.http import ServerAddress
    from trackio.remote.upload import upload_project

    server = wait_until_answering(
        space_id, private=private, dataset_id=dataset_id, bucket_id=bucket_id
    )
    address = ServerAddress(server.url)
    sent = upload_project(project, address)
    return (
        f"sent project {project!r} to the Space {server.space_id} ({address.url}): "
        f"{sent.runs} run(s), {sent.points} value(s)"
        + (f", {sent.already_there} batch(es) already there" if sent.already_there else "")
    )


def wait_until_answering(
    space_id: str,
    *,
    private: bool | None = None,
    dataset_id: str | None = None,
    bucket_id: str | None = None,
) -> SpaceServer:
    """The Space's server (the Space made when missing), once the Hub says it runs;
    a `RuntimeError` after 5 minutes of building or sleeping."""
    from trackio.hub.space_target import space_server

    server = space_server(space_id, private=private, dataset_id=dataset_id, bucket_id=bucket_id)
    deadline = time.monotonic() + SPACE_WAIT_SECONDS
    while server.not_answering is not None:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{server.not_answering}, and did not answer within 5 minutes")
        time.sleep(5.0)
        server = space_server(space_id)
    return server
