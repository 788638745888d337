"""The OpenAPI description of a team server's API, served at `/openapi.json`."""

from __future__ import annotations

from typing import Any

_TOKEN: list[dict[str, list[str]]] = [{"writeToken": []}]
_ERROR = {
    "description": "the problem, named",
    "content": {
        "application/json": {
            "schema": {"type": "object", "properties": {"error": {"type": "string"}}}
        }
    },
}


def _json(description: str, properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"type": "object", "properties": properties}}},
    }


_RUN = {
    "type": "object",
    "properties": {
        "run_id": {"type": ["string", "null"]},
        "name": {"type": ["string", "null"]},
        "resume": {"enum": ["never", "allow", "must"]},
        "group": {"type": ["string", "null"]},
        "job_type": {"type": ["string", "null"]},
        "notes": {"type": ["string", "null"]},
        "tags": {"type": "array", "items": {"type": "string"}},
        "config": {"type": "object"},
        "pid": {"type": ["integer", "null"]},
        "host": {"type": ["string", "null"]},
    },
}


_PYPI_CALLS = {
    "bulk_log": "metric entries {project, run, run_id, metrics, step, config, log_id}",
    "bulk_log_system": "system metric entries {project, run, run_id, metrics, timestamp, log_id}",
    "bulk_alert": "alerts {project, run, run_id, title, text, level, step, timestamp, alert_id}",
    "upload": "multipart `files`; answers {paths: [...]}",
    "bulk_upload_media": "uploads {project, run, run_id, step, uploaded_file: {path, orig_name}}",
    "get_runs_for_project": "{project}: the runs, for resuming",
    "get_run_summary": "{project, run_id | run}: a run's last step, metrics and config",
}


def _pypi_paths() -> dict[str, Any]:
    """The PyPI trackio's v1 calls, taken as `{"args": [], "kwargs": {...}}` bodies."""
    return {
        f"/api/{name}": {
            "post": {
                "summary": f"PyPI trackio v1 protocol: {what}",
                "security": _TOKEN,
                "responses": {"200": _json("done", {"data": {}}), "400": _ERROR, "401": _ERROR},
            }
        }
        for name, what in _PYPI_CALLS.items()
    }


def openapi_document(version: str) -> dict[str, Any]:
    """The description of the ingest API (the read API is described in the README)."""
    refusals = {"400": _ERROR, "401": _ERROR, "403": _ERROR, "413": _ERROR}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "trackio team server",
            "version": version,
            "description": "Clients log into this server; see the README's Team mode.",
        },
        "components": {
            "securitySchemes": {
                "writeToken": {"type": "apiKey", "in": "header", "name": "X-Trackio-Write-Token"},
                "readToken": {"type": "apiKey", "in": "header", "name": "X-Trackio-Read-Token"},
            }
        },
        "paths": {
            "/version": {
                "get": {
                    "summary": "What this server speaks",
                    "responses": {
                        "200": _json(
                            "the API version",
                            {
                                "api_version": {"const": 1},
                                "server": {"const": "trackio"},
                                "version": {"type": "string"},
                            },
                        )
                    },
                }
            },
            "/api/runs/open": {
                "post": {
                    "summary": "Open or continue a run (a client's init())",
                    "security": _TOKEN,
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["project", "run"],
                                    "properties": {"project": {"type": "string"}, "run": _RUN},
                                }
                            }
                        }
                    },
                    "responses": {
                        "200": _json(
                            "the run as stored",
                            {
                                "run_id": {"type": "string"},
                                "name": {"type": "string"},
                                "config": {"type": "object"},
                                "summary_overrides": {"type": "object"},
                                "metric_defs": {"type": "object"},
                                "start_step": {"type": "integer"},
                                "resumed": {"type": "boolean"},
                            },
                        ),
                        **refusals,
                    },
                }
            },
            "/api/ingest": {
                "post": {
                    "summary": "Store one batch of values, exactly once per batch_id",
                    "description": "gzip (Content-Encoding: gzip) of: TRACKIO-BATCH\\n, "
                    "the header's length (8 bytes, little-endian), a JSON header {v: 1, "
                    "batch_id, project, opens: [run], runs: [{run_id, last_time, series: "
                    "{metric: {steps, times, f64 | i64 | items}}, operations: [[name, "
                    "payload]]}], columns: [byte lengths]}, then the raw little-endian "
                    "columns the series index (int64 steps, float64 times and values). "
                    "Checked whole before anything is written.",
                    "security": _TOKEN,
                    "responses": {
                        "200": _json(
                            "stored (or already stored)",
                            {
                                "stored": {"type": "integer"},
                                "duplicate": {"type": "boolean"},
                                "missing_runs": {"type": "array", "items": {"type": "string"}},
                            },
                        ),
                        **refusals,
                    },
                }
            },
            "/api/session": {
                "post": {
                    "summary": "Sign the dashboard in with the read token (sets a cookie)",
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"token": {"type": "string"}},
                                }
                            }
                        }
                    },
                    "responses": {
                        "200": _json("signed in", {"ok": {"const": True}}),
                        "403": _ERROR,
                    },
                }
            },
            **_pypi_paths(),
        },
    }
