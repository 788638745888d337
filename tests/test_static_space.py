"""A frozen dashboard published as a static Hugging Face Space: from a local project
(`trackio freeze --space-id`), and from a live Space's server (`trackio.freeze`). The
Hub is the local stand-in; the published files, downloaded again through
`huggingface_hub` and served by a plain static file server, draw in headless Chromium."""

from __future__ import annotations

import json

import pytest
from browser_support import BrowserTab, new_test_context, skip_module_without_browser, static_files
from cli_support import run_cli
from hub_standin import USER, Repo
from team_support import TeamServer

import trackio

skip_module_without_browser()


def _log(project, name, steps):
    run = trackio.init(project=project, name=name)
    for step in range(steps):
        trackio.log({"loss": 1.0 / (step + 1), "acc": step / steps})
    run.finish()


def _freeze(env, *args):
    return run_cli(env, "freeze", *args, timeout=120)


def _draws(browser, files, into, charts):
    """Write the Space's `files` into `into`, serve them with `python -m http.server`
    and wait until the page drew `charts` charts; returns each chart's runs."""
    for path, data in files.items():
        (into / path).parent.mkdir(parents=True, exist_ok=True)
        (into / path).write_bytes(data)
    with static_files(into) as url:
        context = new_test_context(browser)
        try:
            page = context.new_page()
            tab = BrowserTab(page, url)
            page.goto(url)
            page.wait_for_function(
                "window.__trackio && window.__trackio.ready"
                f" && window.__trackio.chartsDrawn === {charts}"
            )
            drawn = page.evaluate("JSON.parse(JSON.stringify(window.__trackio.charts))")
            assert tab.errors == [] and tab.dialogs == []
            return {metric: chart["runs"] for metric, chart in drawn.items()}
        finally:
            context.close()


def test_a_local_project_is_published_as_a_static_space_and_republished_whole(
    hub, cli_env, trackio_dir, browser, tmp_path, monkeypatch
):
    stand_in, hub_env = hub
    env = {**cli_env, **hub_env}
    _log("p", "first", 40)
    done = _freeze(env, "--project", "p", "--space-id", "snap", "--private")
    assert done.returncode == 0, done.stderr
    assert f"as the static Space {USER}/snap" in done.stdout
    space = stand_in.repo("space", f"{USER}/snap")
    assert space is not None and space.sdk == "static" and space.private
    header = space.files["README.md"].decode().split("---")[1]
    assert "sdk: static" in header and "app_file: index.html" in header
    assert b'name="trackio-static-data"' in space.files["index.html"]
    runs = json.loads(space.files["data/runs.json"])["runs"]
    assert [run["name"] for run in runs] == ["first"]
    drawn = _draws(browser, space.files, tmp_path / "one", 2)
    assert sorted(drawn) == ["acc", "loss"] and list(drawn["loss"].values()) == [40]

    assert trackio.Api().run("p/first").delete()
    space.files["data/left-by-an-earlier-freeze.json"] = b"{}"
    _log("p", "second", 25)
    again = _freeze(env, "--project", "p", "--space-id", f"{USER}/snap")
    assert again.returncode == 0, again.stderr
    runs = json.loads(space.files["data/runs.json"])["runs"]
    assert [run["name"] for run in runs] == ["second"]
    assert "data/left-by-an-earlier-freeze.json" not in space.files
    drawn = _draws(browser, space.files, tmp_path / "two", 2)
    assert list(drawn["loss"].values()) == [25]

    for key, value in hub_env.items():
        monkeypatch.setenv(key, value)
    assert trackio.sync("p", space_id="synced", sdk="static") == f"{USER}/synced"
    synced = stand_in.repo("space", f"{USER}/synced")
    assert synced.sdk == "static"
    assert synced.files["data/runs.json"] == space.files["data/runs.json"]

    missing = _freeze(env, "--project", "nope", "--space-id", "snap")
    assert missing.returncode == 1 and len(missing.stderr.strip().splitlines()) == 1
    assert "nope" in missing.stderr


def test_freeze_publishes_what_a_live_space_stores(hub, child_env, cli_env, tmp_path, monkeypatch):
    stand_in, hub_env = hub
    server = TeamServer(
        dict(child_env, **hub_env), tmp_path / "space", "--hub-space", f"{USER}/board"
    ).start()
    stand_in.repos[("space", f"{USER}/board")] = Repo(
        "space", f"{USER}/board", private=False, sdk="docker", host=server.url
    )
    for key, value in hub_env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("TRACKIO_DIR", str(tmp_path / "client"))
    try:
        run = trackio.init(project="p", name="remote", space_id="board")
        for step in range(30):
            trackio.log({"loss": 1.0 / (step + 1)})
        run.finish()
        assert trackio.freeze(space_id="board", project="p") == f"{USER}/board_static"
        with pytest.raises(RuntimeError, match="nope"):
            trackio.freeze(space_id="board", project="nope", new_space_id="other")
    finally:
        server.stop()
    static = stand_in.repo("space", f"{USER}/board_static")
    assert static is not None and static.sdk == "static"
    runs = json.loads(static.files["data/runs.json"])["runs"]
    assert [(r["name"], r["status"]) for r in runs] == [("remote", "finished")]
    assert stand_in.repo("space", f"{USER}/other") is None
    assert stand_in.repo("space", f"{USER}/board").sdk == "docker"
