"""`trackio deploy`: a Hugging Face Space running this trackio, its data kept in a
Dataset, and the write token its clients need remembered on this machine."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

from trackio.hub.space_bundle import build_space_bundle
from trackio.remote.known_servers import known_space, remember_server

BUCKET_MOUNT = "/data"


def full_space_id(api: Any, space_id: str) -> str:
    """`user/name` for a Space id given as `name` (the token's user) or `user/name`."""
    if "/" in space_id:
        return space_id
    return f"{api.whoami()['name']}/{space_id}"


def space_url(space_id: str) -> str:
    """The address the Space answers at: `https://<user>-<name>.hf.space`."""
    host = re.sub(r"[^a-z0-9]+", "-", space_id.replace("/", "-").lower()).strip("-")
    return f"https://{host}.hf.space"


def remembered_write_token(space_id: str) -> str | None:
    """The write token a deploy from this machine gave the Space, if any."""
    known = known_space(space_id)
    return known.write_token if known else None


def space_address(api: Any, space_id: str) -> str:
    """Where the Space answers, as the Hub says (else as its id makes it)."""
    host = getattr(api.space_info(space_id), "host", None)
    return host.rstrip("/") if isinstance(host, str) and host else space_url(space_id)


def deploy_space(
    space_id: str,
    *,
    private: bool | None = None,
    dataset_id: str | None = None,
    bucket_id: str | None = None,
) -> str:
    """Create (or update) the Docker Space `space_id` running this trackio. Its projects
    are kept in the storage bucket `bucket_id` (mounted at `/data`) when given, else in
    the Dataset `dataset_id` (default `<space_id>-dataset`). The write token is a Space
    secret and is remembered here (readable only by this user). Returns the Space's
    address."""
    from huggingface_hub import get_token

    from trackio.hub.space_target import hub_api
    from trackio.server.access import new_token

    if dataset_id and bucket_id:
        raise ValueError("keep the projects in a Dataset or in a bucket, not both")
    api = hub_api()
    space_id = full_space_id(api, space_id)
    hub_token = api.token if isinstance(api.token, str) else get_token()
    if hub_token is None:
        raise RuntimeError("deploying needs a Hugging Face token: set HF_TOKEN or `hf auth login`")
    token = remembered_write_token(space_id) or new_token()
    with tempfile.TemporaryDirectory(prefix="trackio-space-") as folder:
        build_space_bundle(Path(folder), space_id)
        api.create_repo(
            space_id, repo_type="space", space_sdk="docker", private=private, exist_ok=True
        )
        api.add_space_secret(space_id, "TRACKIO_WRITE_TOKEN", token)
        api.add_space_secret(space_id, "HF_TOKEN", hub_token)
        if bucket_id:
            _keep_in_bucket(api, space_id, full_space_id(api, bucket_id), private)
        else:
            _keep_in_dataset(api, space_id, dataset_id or f"{space_id}-dataset")
        api.upload_folder(
            folder_path=folder,
            repo_id=space_id,
            repo_type="space",
            commit_message="trackio deploy",
        )
    url = space_address(api, space_id)
    remember_server(url, write_token=token, space_id=space_id)
    return url


def _keep_in_bucket(api: Any, space_id: str, bucket_id: str, private: bool | None) -> None:
    """Mount the bucket (made if missing) at `/data`, where the Space's server then
    keeps its projects; other volumes stay."""
    from huggingface_hub import Volume

    api.create_bucket(bucket_id, private=private, exist_ok=True)
    volumes = api.get_space_runtime(space_id).volumes or []
    kept = [volume for volume in volumes if volume.mount_path != BUCKET_MOUNT]
    bucket = Volume(type="bucket", source=bucket_id, mount_path=BUCKET_MOUNT)
    api.set_space_volumes(space_id, [*kept, bucket])
    _set_variable(api, space_id, "TRACKIO_BUCKET_MOUNT", BUCKET_MOUNT, drop="TRACKIO_DATASET_ID")


def _keep_in_dataset(api: Any, space_id: str, dataset_id: str) -> None:
    _set_variable(api, space_id, "TRACKIO_DATASET_ID", dataset_id, drop="TRACKIO_BUCKET_MOUNT")


def _set_variable(api: Any, space_id: str, key: str, value: str, *, drop: str) -> None:
    """Set the Space variable `key`, and remove `drop` (the other way of keeping data,
    from an earlier deploy), so the Space's start command sees one."""
    api.add_space_variable(space_id, key, value)
    if drop in api.get_space_variables(space_id):
        api.delete_space_variable(space_id, drop)
