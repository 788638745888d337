"""Hatch build hook: builds the dashboard's browser app with npm into trackio/dashboard/dist.

The built files are never committed; every wheel and editable install builds them.
Set TRACKIO_SKIP_DASHBOARD_BUILD=1 to skip (the JSON API still works without them); a
dashboard built before is then packaged as it is.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class DashboardBuildHook(BuildHookInterface):
    """Runs `npm ci` (when needed) and `npm run build` in `frontend/`."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        if os.environ.get("TRACKIO_SKIP_DASHBOARD_BUILD"):
            # A dashboard built before (a Space bundle of an installed checkout) still
            # goes into the wheel.
            if (Path(self.root) / "trackio" / "dashboard" / "dist" / "index.html").is_file():
                build_data["artifacts"].append("trackio/dashboard/dist/")
            return
        frontend = Path(self.root) / "frontend"
        if not (frontend / "package.json").is_file():
            return
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError(
                "building trackio needs npm to build its dashboard (install Node.js), "
                "or set TRACKIO_SKIP_DASHBOARD_BUILD=1 to install without the dashboard"
            )
        if _dependencies_stale(frontend):
            subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=frontend, check=True)
        subprocess.run([npm, "run", "build"], cwd=frontend, check=True)
        build_data["artifacts"].append("trackio/dashboard/dist/")


def _dependencies_stale(frontend: Path) -> bool:
    installed = frontend / "node_modules" / ".package-lock.json"
    lock = frontend / "package-lock.json"
    return not installed.is_file() or installed.stat().st_mtime < lock.stat().st_mtime
