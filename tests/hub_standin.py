"""A local stand-in for the few Hugging Face Hub REST endpoints trackio's Hub features
use (there is no network to the Hub here): create a repo or a bucket, upload small
files in a commit, list and download them, who a token belongs to, a Space's secrets,
variables, runtime (its stage, its host) and volumes. `huggingface_hub` reaches
it through `HF_ENDPOINT`; it keeps repos in memory and records every call."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from team_support import free_port

USER = "tester"
TOKEN = "hf_test_token"
"""The Hub token the tests' processes use: `USER`'s, and it may write."""
READ_TOKEN = "hf_read_only_token"
"""`USER`'s token that may only read."""
MATE_TOKEN = "hf_teammate_token"
"""A token of `mate`, who writes in the organisation `lab`."""
STRANGER_TOKEN = "hf_stranger_token"
"""A write token of `stranger`, who is in no organisation."""


def _whoami(name: str, role: str, orgs: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {
        "type": "user",
        "name": name,
        "orgs": orgs or [],
        "auth": {"accessToken": {"role": role}},
    }


WHOAMI = {
    TOKEN: _whoami(USER, "write"),
    READ_TOKEN: _whoami(USER, "read"),
    MATE_TOKEN: _whoami("mate", "write", [{"name": "lab", "roleInOrg": "write"}]),
    STRANGER_TOKEN: _whoami("stranger", "write"),
}
TYPES = {"models": "model", "datasets": "dataset", "spaces": "space"}
PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}


@dataclass
class Repo:
    kind: str
    repo_id: str
    private: bool
    files: dict[str, bytes] = field(default_factory=dict)
    sha: str = "0" * 40
    sdk: str | None = None
    secrets: dict[str, str] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)
    host: str | None = None
    stage: str = "RUNNING"
    volumes: list[dict[str, Any]] = field(default_factory=list)

    def commit(self) -> None:
        digest = hashlib.sha1(repr(sorted(self.files.items())).encode() + str(time.time()).encode())
        self.sha = digest.hexdigest()


class HubStandIn:
    """The stand-in Hub, served on a loopback port by `start()`."""

    def __init__(self) -> None:
        self.repos: dict[tuple[str, str], Repo] = {}
        self.buckets: dict[str, bool] = {}
        """Bucket id: whether it is private."""
        self.space_hosts: dict[str, str] = {}
        """Where a Space made from now on answers, by its id (else nowhere)."""
        self.new_space_stage = "RUNNING"
        """The stage a Space made from now on is in."""
        self.calls: list[str] = []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None

    def repo(self, kind: str, repo_id: str) -> Repo | None:
        return self.repos.get((kind, repo_id))

    # --- endpoints -------------------------------------------------------------------

    async def whoami(self, request: Request) -> Response:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token not in WHOAMI:
            return JSONResponse({"error": "Invalid credentials"}, status_code=401)
        return JSONResponse(WHOAMI[token])

    async def create(self, request: Request) -> Response:
        body = await request.json()
        kind = body.get("type") or "model"
        namespace = body.get("organization") or USER
        repo_id = f"{namespace}/{body['name']}"
        url = f"{self.url}/{PREFIX[kind]}{repo_id}"
        if (kind, repo_id) in self.repos:
            return JSONResponse({"error": "You already created this repo", "url": url}, 409)
        private = bool(body.get("private")) or body.get("visibility") == "private"
        self.repos[(kind, repo_id)] = Repo(
            kind, repo_id, private, sdk=body.get("sdk"), host=self.space_hosts.get(repo_id)
        )
        if kind == "space":
            self.repos[(kind, repo_id)].stage = self.new_space_stage
        return JSONResponse({"url": url, "name": repo_id, "id": repo_id})

    def _found(self, request: Request) -> Repo | Response:
        kind = TYPES[request.path_params["types"]]
        repo_id = f"{request.path_params['namespace']}/{request.path_params['name']}"
        repo = self.repo(kind, repo_id)
        if repo is None:
            return JSONResponse(
                {"error": "Repository not found"}, 404, {"X-Error-Code": "RepoNotFound"}
            )
        return repo

    async def info(self, request: Request) -> Response:
        repo = self._found(request)
        if isinstance(repo, Response):
            return repo
        return JSONResponse(
            {
                "id": repo.repo_id,
                "sha": repo.sha,
                "private": repo.private,
                "siblings": [
                    {"rfilename": path, "size": len(data)}
                    for path, data in sorted(repo.files.items())
                ],
                "tags": [],
                "lastModified": "2026-01-01T00:00:00.000Z",
                **self._space_fields(repo),
            }
        )

    @staticmethod
    def _runtime(repo: Repo) -> dict[str, Any]:
        return {"stage": repo.stage, "hardware": {"current": "cpu-basic"}, "volumes": repo.volumes}

    def _space_fields(self, repo: Repo) -> dict[str, Any]:
        if repo.kind != "space":
            return {}
        return {"sdk": repo.sdk, "host": repo.host, "runtime": self._runtime(repo)}

    async def runtime(self, request: Request) -> Response:
        repo = self._found(request)
        if isinstance(repo, Response):
            return repo
        return JSONResponse(self._runtime(repo))

    async def volumes(self, request: Request) -> Response:
        repo = self._found(request)
        if isinstance(repo, Response):
            return repo
        repo.volumes = (await request.json())["volumes"]
        return JSONResponse({})

    async def create_bucket(self, request: Request) -> Response:
        bucket_id = f"{request.path_params['namespace']}/{request.path_params['name']}"
        if bucket_id in self.buckets:
            return JSONResponse({"error": "You already created this bucket"}, 409)
        body = await request.json()
        self.buckets[bucket_id] = body.get("visibility") == "private"
        return JSONResponse({"url": f"{self.url}/buckets/{bucket_id}", "id": bucket_id})

    async def tree(self, request: Request) -> Response:
        repo = self._found(request)
        if isinstance(repo, Response):
            return repo
        under = request.path_params.get("path", "").strip("/")
        entries = [
            {"type": "file", "oid": hashlib.sha1(data).hexdigest(), "size": len(data), "path": path}
            for path, data in sorted(repo.files.items())
            if not under or path.startswith(under + "/")
        ]
        return JSONResponse(entries)

    async def preupload(self, request: Request) -> Response:
        repo = self._found(request)
        if isinstance(repo, Response):
            return repo
        body = await request.json()
        return JSONResponse(
            {
                "files": [
                    {"path": item["path"], "uploadMode": "regular", "shouldIgnore": False}
                    for item in body.get("files", [])
                ]
            }
        )

    async def commit(self, request: Request) -> Response:
        repo = self._found(request)
        if isinstance(repo, Response):
            return repo
        for line in (await request.body()).decode().splitlines():
            if not line.strip():
                continue
            entry = json.loads(line)
            value = entry["value"]
            if entry["key"] == "file":
                repo.files[value["path"]] = base64.b64decode(value["content"])
            elif entry["key"] == "deletedFile":
                repo.files.pop(value["path"], None)
            elif entry["key"] == "deletedFolder":
                folder = value["path"].rstrip("/") + "/"
                for path in [p for p in repo.files if p.startswith(folder)]:
                    del repo.files[path]
        repo.commit()
        url = f"{self.url}/{PREFIX[repo.kind]}{repo.repo_id}/commit/{repo.sha}"
        return JSONResponse({"commitUrl": url, "commitOid": repo.sha, "success": True})

    async def validate_yaml(self, request: Request) -> Response:
        """A README's metadata header: present and a YAML mapping, or a 400."""
        import yaml

        content = (await request.json()).get("content", "")
        parts = content.split("---")
        try:
            header = yaml.safe_load(parts[1]) if len(parts) > 2 else None
        except yaml.YAMLError:
            header = None
        if not isinstance(header, dict) or not header:
            return JSONResponse({"errors": [{"message": "no YAML metadata header"}]}, 400)
        return JSONResponse({"warnings": []})

    async def setting(self, request: Request) -> Response:
        repo = self._found(request)
        if isinstance(repo, Response):
            return repo
        kept = repo.secrets if request.url.path.endswith("/secrets") else repo.variables
        if request.method == "GET":
            return JSONResponse({key: {"value": value} for key, value in kept.items()})
        body = await request.json()
        if request.method == "DELETE":
            kept.pop(body["key"], None)
        else:
            kept[body["key"]] = body["value"]
        return JSONResponse({})

    async def resolve(self, request: Request) -> Response:
        kind = request.path_params.get("kind", "model")
        repo_id = f"{request.path_params['namespace']}/{request.path_params['name']}"
        repo = self.repo(kind, repo_id)
        path = request.path_params["path"]
        if repo is None or path not in repo.files:
            return JSONResponse(
                {"error": "Entry not found"}, 404, {"X-Error-Code": "EntryNotFound"}
            )
        data = repo.files[path]
        headers = {
            "X-Repo-Commit": repo.sha,
            "ETag": f'"{hashlib.sha1(data).hexdigest()}"',
            "Content-Length": str(len(data)),
        }
        if request.method == "HEAD":
            return Response(b"", headers=headers)
        return Response(data, headers=headers, media_type="application/octet-stream")

    # --- serving ---------------------------------------------------------------------

    def app(self) -> Starlette:
        def recorded(endpoint: Any) -> Any:
            async def handle(request: Request) -> Response:
                self.calls.append(f"{request.method} {request.url.path}")
                return await endpoint(request)

            return handle

        repo = "/api/{types:str}/{namespace:str}/{name:str}"
        routes = [
            Route("/api/whoami-v2", recorded(self.whoami)),
            Route("/api/repos/create", recorded(self.create), methods=["POST"]),
            Route("/api/validate-yaml", recorded(self.validate_yaml), methods=["POST"]),
            Route(repo, recorded(self.info)),
            Route(repo + "/revision/{revision:path}", recorded(self.info)),
            Route(repo + "/tree/{revision:str}/{path:path}", recorded(self.tree)),
            Route(repo + "/tree/{revision:str}", recorded(self.tree)),
            Route(repo + "/preupload/{revision:str}", recorded(self.preupload), methods=["POST"]),
            Route(repo + "/commit/{revision:str}", recorded(self.commit), methods=["POST"]),
            Route(repo + "/secrets", recorded(self.setting), methods=["POST"]),
            Route(repo + "/variables", recorded(self.setting), methods=["GET", "POST", "DELETE"]),
            Route(repo + "/runtime", recorded(self.runtime)),
            Route(repo + "/volumes", recorded(self.volumes), methods=["PUT"]),
            Route(
                "/api/buckets/{namespace:str}/{name:str}",
                recorded(self.create_bucket),
                methods=["POST"],
            ),
        ]
        for kind, prefix in (("dataset", "datasets/"), ("space", "spaces/")):
            routes.append(
                Route(
                    f"/{prefix}{{namespace:str}}/{{name:str}}/resolve/{{revision:str}}/{{path:path}}",
                    recorded(self._with_kind(kind, self.resolve)),
                    methods=["GET", "HEAD"],
                )
            )
        return Starlette(routes=routes)

    @staticmethod
    def _with_kind(kind: str, endpoint: Any) -> Any:
        async def handle(request: Request) -> Response:
            request.path_params["kind"] = kind
            return await endpoint(request)

        return handle

    def start(self) -> HubStandIn:
        config = uvicorn.Config(self.app(), host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        threading.Thread(target=self._server.run, daemon=True).start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the Hub stand-in did not start")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
