"""The dashboard's read-only view of the files runs saved (`trackio.save`, `run.dir`).

- `GET /api/saved?project=P&run=R` lists them: `{"run", "files": [{"name", "size",
  "updated_at", "url"}]}`, `R` being a run id or a name naming one run.
- `GET /api/saved/file?project=P&run=R&name=NAME[&download=1]` serves one. Only files
  inside the run's folder are served: absolute names, `..` and symbolic links get 404.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from trackio.saved_files import files_dir, list_saved, saved_file
from trackio.server.responses import HANDLED, JSONResponse, error_response, required
from trackio.storage.errors import NotFoundError

if TYPE_CHECKING:
    from trackio.server.reader import ProjectReader

_HEADERS = {
    # "live" files are copied again when the run finishes, so never cache them for long.
    "Cache-Control": "no-cache",
    # A saved HTML or SVG file must not run scripts with the dashboard's origin.
    "Content-Security-Policy": "sandbox",
}


def saved_file_url(project: str, run_id: str, name: str) -> str:
    """The API URL (relative to the dashboard) serving saved file `name` of a run."""
    return "api/saved/file?" + urlencode({"project": project, "run": run_id, "name": name})


def saved_files_endpoint(reader: ProjectReader) -> Callable[[Request], Response]:
    """The handler of `/api/saved{rest:path}`: the listing at `/api/saved`, one file at
    `/api/saved/file`, 404 for any other path below."""

    def respond(request: Request) -> Response:
        rest = request.path_params.get("rest", "")
        try:
            store = reader.store(required(request, "project"))
            record = store.resolve_run(required(request, "run"))
            folder = files_dir(store.media_dir, record.run_id)
            if rest in ("", "/"):
                return JSONResponse(
                    {
                        "run": record.run_id,
                        "files": [
                            {
                                "name": found.name,
                                "size": found.size,
                                "updated_at": found.updated_at,
                                "url": saved_file_url(store.project, record.run_id, found.name),
                            }
                            for found in list_saved(folder)
                        ],
                    }
                )
            if rest != "/file":
                raise NotFoundError(f"no API endpoint /api/saved{rest}")
            name = required(request, "name")
            try:
                path = saved_file(folder, name)
            except LookupError:
                raise NotFoundError(
                    f"run {record.run_id!r} of {store.project!r} has no saved file {name!r}"
                ) from None
        except HANDLED as error:
            return error_response(error)
        headers: dict[str, Any] = dict(_HEADERS)
        if request.query_params.get("download") in ("1", "true"):
            headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(path.name)}"
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return FileResponse(path, media_type=content_type, headers=headers)

    return respond
