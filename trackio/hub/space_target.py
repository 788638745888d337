"""`init(space_id=...)`: find the Space's server (deploying the Space when it is
missing), so the run logs to it exactly as to a team server."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Any

from trackio.cli.output import error_line
from trackio.remote.known_servers import known_space, remember_server

ANSWERING_STAGES = {"RUNNING", "RUNNING_BUILDING", "RUNNING_APP_STARTING"}


@dataclass(frozen=True)
class SpaceServer:
    """Where a Space's server answers, and why it cannot answer now (None if it can)."""

    space_id: str
    url: str
    not_answering: str | None = None


def hub_api() -> Any:
    """An `HfApi` at `HF_ENDPOINT` as it is now (huggingface_hub reads it once, at
    import), or a `ValueError` saying how to install huggingface_hub."""
    try:
        from huggingface_hub import HfApi
    except ImportError:
        raise ValueError(
            'Hugging Face Hub features need huggingface_hub: pip install "trackio[hub]"'
        ) from None
    return HfApi(endpoint=os.environ.get("HF_ENDPOINT") or None)


def _not_answering(space_id: str, known: Any, why: str) -> SpaceServer:
    """The Space's server at the address remembered for it (else its usual one), which
    cannot be asked now for the reason `why`."""
    from trackio.hub.deploy import space_url

    url = known.url if known else space_url(space_id)
    remember_server(url, space_id=space_id)
    return SpaceServer(space_id, url, why)


def space_server(
    space_id: str,
    *,
    private: bool | None = None,
    dataset_id: str | None = None,
    bucket_id: str | None = None,
) -> SpaceServer:
    """The server of the Space `space_id` (`user/name`, or `name` in the token's
    namespace), deployed first when the Hub has no such Space. When the Hub cannot be
    asked, or the Space is building or asleep, `not_answering` says so in one line:
    the run's values then wait in the local spool until the Space answers."""
    from huggingface_hub.errors import RepositoryNotFoundError

    from trackio.hub.deploy import deploy_space, full_space_id, space_url

    api = hub_api()
    try:
        space_id = full_space_id(api, space_id)
    except Exception as error:  # noqa: BLE001 - the Hub's errors, worded once
        raise ValueError(
            f"space_id={space_id!r} names no user, and the Hub cannot say whose the token is "
            f"({error_line(error)}): pass space_id='user/name'"
        ) from None
    known = known_space(space_id)
    try:
        info = api.space_info(space_id)
    except RepositoryNotFoundError:
        print(f"* Creating the Space {space_id} (it builds for a few minutes)", flush=True)
        try:
            url = deploy_space(
                space_id, private=private, dataset_id=dataset_id, bucket_id=bucket_id
            )
        except Exception as error:  # noqa: BLE001 - no token, no permission: one message
            why = f"the Space {space_id} is missing and cannot be created ({error_line(error)})"
            return _not_answering(space_id, known, why)
        return SpaceServer(space_id, url, f"the Space {space_id} was just created and is building")
    except Exception as error:  # noqa: BLE001 - no Hub, no token, no permission
        why = f"the Hub cannot say how the Space {space_id} is ({error_line(error)})"
        return _not_answering(space_id, known, why)
    url = (info.host or space_url(space_id)).rstrip("/")
    remember_server(url, space_id=space_id)
    stage = getattr(info.runtime, "stage", None)
    if stage is not None and str(stage) not in ANSWERING_STAGES:
        return SpaceServer(space_id, url, f"the Space {space_id} is {str(stage).lower()}")
    return SpaceServer(space_id, url)


def say_not_answering(why: str, url: str) -> None:
    """The one message for a Space that cannot take the run's values now."""
    print(
        f"trackio: {why}; the run starts here and its values wait in a local spool, "
        f"delivered to {url} when the Space answers",
        file=sys.stderr,
        flush=True,
    )
