"""Where a run can be seen in the dashboard: `run.url`."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from trackio.launcher import serving_url

DEFAULT_DASHBOARD_URL = "http://127.0.0.1:7860/"
"""Where `trackio show` serves when its default port is free."""


def dashboard_url() -> str:
    """`serving_url()`, else where `trackio show` serves by default."""
    return serving_url() or DEFAULT_DASHBOARD_URL


def run_url(project: str, run_token: str) -> str:
    """The dashboard URL showing `project` with only the run `run_token` (its name, or
    its id when the name is ambiguous) selected."""
    query = urlencode({"project": project, "runs": run_token}, quote_via=quote)
    return f"{dashboard_url()}?{query}"


def run_token(name: str, run_id: str, others: list[tuple[str, str]]) -> str:
    """How the dashboard's `runs` parameter names a run: by name when that picks out
    this run alone (as the dashboard itself writes it), else by id. `others` holds
    (name, id) of the project's other runs."""
    clash = any(name in (other_name, other_id) for other_name, other_id in others)
    if clash or "," in name or name.strip() != name:
        return run_id
    return name
