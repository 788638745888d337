"""`trackio deploy`: a Hugging Face Space running this trackio, its data kept in a
Dataset, and the write token its clients need remembered on this machine."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any

from trackio.hub.space_bundle import build_space_bundle
from trackio.storage.paths import data_dir


def full_space_id(api: Any, space_id: str) -> str:
    """`user/name` for a Space id given as `name` (the token's user) or `user/name`."""
    if "/" in space_id:
        return space_id
    return f"{api.whoami()['name']}/{space_id}"


def space_url(space_id: str) -> str:
    """The address the Space answers at: `https://<user>-<name>.hf.space`."""
    host = re.sub(r"[^a-z0-9]+", "-", space_id.replace("/", "-").lower()).strip("-")
    return f"https://{host}.hf.space"


def _token_file(space_id: str) -> Path:
    return data_dir() / ".space-tokens" / space_id.replace("/", "--")


def remembered_write_token(space_id: str) -> str | None:
    """The write token a deploy from this machine gave the Space, if any."""
    path = _token_file(space_id)
    return path.read_text(encoding="utf-8").strip() if path.is_file() else None


def _remember(space_id: str, token: str) -> None:
    path = _token_file(space_id)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(token)
    os.chmod(path, 0o600)


def deploy_space(space_id: str, *, private: bool = False, dataset_id: str | None = None) -> str:
    """Create (or update) the Docker Space `space_id` running this trackio, its projects
    kept in the Dataset `dataset_id` (default `<space_id>-dataset`); the write token is
    a Space secret and is remembered here (readable only by this user). Returns the
    Space's address."""
    from huggingface_hub import HfApi, get_token

    from trackio.server.access import new_token

    api = HfApi()
    space_id = full_space_id(api, space_id)
    dataset_id = dataset_id or f"{space_id}-dataset"
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
        api.add_space_variable(space_id, "TRACKIO_DATASET_ID", dataset_id)
        api.upload_folder(
            folder_path=folder,
            repo_id=space_id,
            repo_type="space",
            commit_message="trackio deploy",
        )
    _remember(space_id, token)
    return space_url(space_id)
