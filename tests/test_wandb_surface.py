"""The rest of wandb's run surface: save/run.dir, run.url, watch, Settings, artifacts."""

import json
import os
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import pytest

import trackio
from trackio.storage.paths import media_dir_for, project_db_path


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A current directory holding `out/a.txt`, `out/sub/b.txt` and `out/c.csv`."""
    folder = tmp_path / "work"
    (folder / "out" / "sub").mkdir(parents=True)
    (folder / "out" / "a.txt").write_text("alpha")
    (folder / "out" / "sub" / "b.txt").write_text("bravo!")
    (folder / "out" / "c.csv").write_text("x,y\n")
    monkeypatch.chdir(folder)
    return folder


def _files_folder(trackio_dir, project, run_id):
    return media_dir_for(project_db_path(project, trackio_dir)) / run_id / "files"


# --- save() and run.dir ------------------------------------------------------------


def test_save_copies_matches_keeping_paths_relative_to_base_path(workdir, trackio_dir):
    run = trackio.init(project="files", name="r")
    folder = _files_folder(trackio_dir, "files", run.id)
    saved = trackio.save("out/**/*.txt")
    assert sorted(saved) == [str(folder / "out" / "a.txt"), str(folder / "out" / "sub" / "b.txt")]
    assert (folder / "out" / "sub" / "b.txt").read_text() == "bravo!"
    assert run.save("out/*.csv", base_path="out") == [str(folder / "c.csv")]
    # An absolute path without base_path keeps the file's name only, as in wandb.
    assert run.save(str(workdir / "out" / "sub" / "b.txt"), policy="now") == [str(folder / "b.txt")]
    trackio.finish()
    listed = trackio.Api().run("files/r").files()
    assert [(f.name, f.size) for f in listed] == [
        ("b.txt", 6),
        ("c.csv", 4),
        ("out/a.txt", 5),
        ("out/sub/b.txt", 6),
    ]
    assert Path(listed[3].path).read_text() == "bravo!"


def test_run_dir_is_the_files_folder_and_what_is_written_there_is_listed(trackio_dir):
    run = trackio.init(project="files", name="r")
    assert run.dir == trackio.run.dir == str(_files_folder(trackio_dir, "files", run.id))
    assert os.path.isdir(run.dir)
    Path(run.dir, "model.pt").write_bytes(b"\x00\x01\x02")
    # wandb's pattern: write into run.dir, then save it by its absolute path.
    assert trackio.save(os.path.join(run.dir, "model.pt")) == [
        str(Path(run.dir, "model.pt").resolve())
    ]
    trackio.finish()
    stored = trackio.Api().run("files/r")
    assert [(f.name, f.size) for f in stored.files()] == [("model.pt", 3)]
    assert stored.file("model.pt").path == str(Path(run.dir, "model.pt"))
    with pytest.raises(ValueError, match=r"no saved file 'other\.pt'.*model\.pt"):
        stored.file("other.pt")


def test_save_policies_decide_which_version_is_kept(workdir):
    run = trackio.init(project="files", name="r")
    Path("live.txt").write_text("v1")
    Path("now.txt").write_text("v1")
    Path("end.txt").write_text("v1")
    (live,) = run.save("live.txt")
    (now,) = run.save("now.txt", policy="now")
    (end,) = run.save("end.txt", policy="end")
    assert Path(live).read_text() == "v1" and Path(now).read_text() == "v1"
    assert not Path(end).exists()
    for name in ("live.txt", "now.txt", "end.txt"):
        Path(name).write_text("v2")
    run.finish()
    assert [Path(p).read_text() for p in (live, now, end)] == ["v2", "v1", "v2"]


def test_saved_files_download_like_wandb_files(workdir, tmp_path):
    trackio.init(project="files", name="r")
    trackio.save("out/a.txt")
    trackio.finish()
    saved = trackio.Api().run("files/r").file("out/a.txt")
    with saved.download(root=str(tmp_path / "dl")) as handle:
        assert handle.read() == "alpha"
    assert (tmp_path / "dl" / "out" / "a.txt").read_text() == "alpha"
    with pytest.raises(ValueError, match="replace=True"):
        saved.download(root=str(tmp_path / "dl"))
    (tmp_path / "dl" / "out" / "a.txt").write_text("mine")
    with saved.download(root=str(tmp_path / "dl"), exist_ok=True) as handle:
        assert handle.read() == "mine"
    with saved.download(root=str(tmp_path / "dl"), replace=True) as handle:
        assert handle.read() == "alpha"


def test_save_bad_input(workdir, record_user_warnings):
    run = trackio.init(project="files", name="r")
    with pytest.raises(ValueError, match=r"policy must be one of .*'sometimes'"):
        trackio.save("out/a.txt", policy="sometimes")
    with pytest.raises(ValueError, match="inside base_path"):
        trackio.save("../elsewhere.txt")
    with pytest.raises(TypeError, match="got int"):
        trackio.save(3)
    with record_user_warnings() as found:
        assert trackio.save("out/*.nothing") == []
    assert [str(w.message) for w in found] == [
        "trackio.save('out/*.nothing') matched no files; nothing was saved"
    ]
    assert found[0].filename == __file__
    # wandb's old `run.save()` (no arguments) persisted attribute changes: a no-op here.
    assert run.save() is True
    run.finish()
    assert trackio.Api().run("files/r").files() == []


def test_save_and_watch_need_a_run():
    with pytest.raises(RuntimeError, match=r"trackio.init\(\) before trackio.save\(\)"):
        trackio.save("x")
    with pytest.raises(RuntimeError, match=r"trackio.init\(\) before trackio.watch\(\)"):
        trackio.watch(object())


def test_moving_a_run_keeps_its_saved_files(workdir):
    trackio.init(project="before", name="r")
    trackio.save("out/a.txt")
    trackio.finish()
    moved = trackio.Api().run("before/r").move("after")
    assert [f.name for f in moved.files()] == ["out/a.txt"]
    assert Path(moved.file("out/a.txt").path).read_text() == "alpha"
    assert moved.history() == []


def test_moving_a_run_from_the_command_line_keeps_its_saved_files(workdir, cli):
    trackio.init(project="cli-before", name="r")
    trackio.save("out/sub/b.txt")
    trackio.finish()
    moved = cli("move", "--project", "cli-before", "--run", "r", "--to-project", "cli-after")
    assert moved.returncode == 0, moved.stderr
    (run,) = trackio.Api().runs("cli-after")
    assert Path(run.file("out/sub/b.txt").path).read_text() == "bravo!"
    assert trackio.Api().runs("cli-before") == []


def test_deleting_a_run_deletes_its_saved_files(workdir):
    run = trackio.init(project="files", name="r")
    trackio.save("out/a.txt")
    folder = run.dir
    trackio.finish()
    trackio.Api().run("files/r").delete()
    assert not os.path.exists(folder)


def test_a_run_id_that_cannot_name_a_folder_is_refused():
    with pytest.raises(ValueError, match=r"run id '\.\./x' cannot name a folder"):
        trackio.init(project="files", id="../x")


def test_disabled_run_has_a_scratch_dir_and_saves_nothing(workdir, trackio_dir):
    run = trackio.init(project="files", mode="disabled")
    assert os.path.isdir(run.dir) and not run.dir.startswith(str(trackio_dir))
    assert run.save("out/a.txt") == [] and run.url is None
    with pytest.raises(ValueError, match="policy"):
        run.save("out/a.txt", policy="never")


# --- the dashboard's saved-file routes ---------------------------------------------


def _get(server, path, **params):
    url = server.url + path + ("?" + urlencode(params) if params else "")
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, dict(response.headers), response.read()


def _status(server, path, **params):
    with pytest.raises(urllib.error.HTTPError) as caught:
        _get(server, path, **params)
    return caught.value.code, json.loads(caught.value.read())["error"]


def test_dashboard_lists_and_serves_saved_files(server, workdir):
    run = trackio.init(project="served files", name="r")
    trackio.save("out/**/*.txt")
    Path(run.dir, "page.html").write_text("<script>alert(1)</script>")
    os.symlink(workdir / "out" / "c.csv", Path(run.dir, "link.csv"))
    trackio.finish()

    _, _, body = _get(server, "api/saved", project="served files", run="r")
    listing = json.loads(body)
    assert listing["run"] == run.id
    assert [(f["name"], f["size"]) for f in listing["files"]] == [
        ("out/a.txt", 5),
        ("out/sub/b.txt", 6),
        ("page.html", 25),
    ]
    status, headers, body = _get(server, listing["files"][1]["url"])
    assert (status, body) == (200, b"bravo!")
    assert headers["content-type"].startswith("text/plain")
    assert "sandbox" in headers["content-security-policy"]
    _, headers, _ = _get(
        server, "api/saved/file", project="served files", run=run.id, name="page.html", download=1
    )
    assert headers["content-disposition"] == "attachment; filename*=UTF-8''page.html"

    media_route = "api/file?" + urlencode(
        {"project": "served files", "path": f"{run.id}/files/page.html"}
    )
    code, _ = _status(server, media_route)
    assert code == 404, "saved files change; the media route would cache them for a year"

    for name in ("../../served%20files.db", "/etc/passwd", "link.csv", "out", "missing.txt"):
        code, error = _status(server, "api/saved/file", project="served files", run="r", name=name)
        assert code == 404 and repr(name) in error
    assert _status(server, "api/saved", project="served files", run="nobody")[0] == 404
    assert _status(server, "api/saved", project="nowhere", run="r")[0] == 404
    assert _status(server, "api/saved", project="served files")[0] == 400
    assert _status(server, "api/saved/other", project="served files", run="r")[0] == 404


def test_dashboard_lists_no_files_for_a_run_that_saved_none(server):
    trackio.init(project="no files", name="r")
    trackio.finish()
    _, _, body = _get(server, "api/saved", project="no files", run="r")
    assert json.loads(body)["files"] == []


# --- run.url -----------------------------------------------------------------------


def test_run_url_names_the_run_in_the_default_dashboard_and_init_prints_it(capsys, monkeypatch):
    monkeypatch.delenv("TRACKIO_QUIET", raising=False)
    run = trackio.init(project="my project", name="run #1")
    assert run.url == "http://127.0.0.1:7860/?project=my%20project&runs=run%20%231"
    assert f"* View run run #1 at: {run.url}" in capsys.readouterr().out
    twin = trackio.init(project="my project", name="run #1")
    # Two runs share the name: the dashboard could not tell them apart, the id can.
    assert twin.url == f"http://127.0.0.1:7860/?project=my%20project&runs={twin.id}"


def test_run_url_uses_the_dashboard_this_process_serves(capsys, monkeypatch):
    monkeypatch.delenv("TRACKIO_QUIET", raising=False)
    handle = trackio.show(open_browser=False, block=False, port=0)
    try:
        assert not handle.url.endswith(":7860/")
        run = trackio.init(project="p", name="r")
        assert run.url == f"{handle.url}?project=p&runs=r"
        printed = capsys.readouterr().out
        assert f"* View run r at: {run.url}" in printed
        assert "by running: trackio show" not in printed
    finally:
        handle.stop()
    assert run.url == "http://127.0.0.1:7860/?project=p&runs=r"


# --- Settings and artifacts --------------------------------------------------------


def test_settings_are_accepted_and_mode_and_silent_are_used(
    capsys, monkeypatch, record_user_warnings
):
    monkeypatch.delenv("TRACKIO_QUIET", raising=False)
    settings = trackio.Settings(start_method="thread", _disable_stats=True, mode="disabled")
    assert settings.start_method == "thread" and settings.console is None
    settings.update({"x_label": "a"}, silent=True)
    assert settings.to_dict()["x_label"] == "a"
    with record_user_warnings() as found:
        run = trackio.init(project="settings", settings=settings)
    assert run.disabled
    assert [str(w.message) for w in found] == [
        "trackio.init() ignores settings _disable_stats=True, start_method='thread', "
        "x_label='a': they have no effect in local mode"
    ]
    run = trackio.init(project="settings", settings={"silent": True})
    assert not run.disabled
    assert capsys.readouterr().out == ""
    with pytest.raises(TypeError, match="settings must be a trackio.Settings or a dict"):
        trackio.init(project="settings", settings=3)


def test_artifacts_raise_saying_what_to_use_instead():
    with pytest.raises(NotImplementedError, match=r"trackio.save\(path\)"):
        trackio.Artifact("model", type="model")
    with pytest.raises(NotImplementedError, match="trackio.Image"):
        trackio.log_artifact("model.pt")
    with pytest.raises(NotImplementedError, match="does not support artifacts"):
        trackio.use_artifact("model:latest")
    run = trackio.init(project="artifacts")
    for call in (run.log_artifact, run.use_artifact, run.link_artifact):
        with pytest.raises(NotImplementedError, match=r"trackio.save"):
            call("model")


def test_new_names_are_exported():
    for name in ("save", "watch", "unwatch", "Settings", "Artifact", "log_artifact"):
        assert name in trackio.__all__ and getattr(trackio, name).__doc__


# --- watch() -----------------------------------------------------------------------


def _train(model, steps, run=None, batch=None):
    import torch

    batch = batch if batch is not None else torch.linspace(-1, 1, 12).reshape(4, 3)
    grads = []
    for _ in range(steps):
        model.zero_grad()
        loss = model(batch).pow(2).sum()
        loss.backward()
        grads.append(model.weight.grad.detach().clone())
        (run or trackio).log({"loss": loss.item()})
    return grads


def test_watch_logs_gradient_and_parameter_histograms_every_log_freq_steps():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    run = trackio.init(project="watch", name="r")
    trackio.watch(model, log="all", log_freq=2)
    grads = _train(model, 4)
    model.eval()
    model(torch.zeros(1, 3))  # evaluation passes are not counted
    trackio.unwatch(model)
    model.train()
    _train(model, 2)
    run.finish()

    rows = trackio.Api().run("watch/r").history()
    assert [sorted(k for k in row if "/" in k) for row in rows] == [
        [],
        ["gradients/bias", "gradients/weight", "parameters/bias", "parameters/weight"],
        [],
        ["gradients/bias", "gradients/weight", "parameters/bias", "parameters/weight"],
        [],
        [],
    ]
    gradient = rows[3]["gradients/weight"]
    assert gradient["_type"] == "histogram"
    assert sum(gradient["counts"]) == 6 and len(gradient["counts"]) == 64
    expected = grads[3]
    assert gradient["edges"][0] == pytest.approx(expected.min().item())
    assert gradient["edges"][-1] == pytest.approx(expected.max().item())
    parameters = rows[1]["parameters/weight"]
    assert parameters["edges"][0] == pytest.approx(model.weight.min().item())
    assert parameters["edges"][-1] == pytest.approx(model.weight.max().item())
    assert sum(parameters["counts"]) == 6


def test_watch_defaults_to_gradients_and_prefixes_later_models():
    torch = pytest.importorskip("torch")
    first, second = torch.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    run = trackio.init(project="watch", name="r")
    run.watch(first, log_freq=1)
    trackio.watch(models=[second], log_freq=1)
    _train(first, 1, run)
    _train(second, 1, run)
    constant = torch.nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        constant.weight.fill_(2.0)
    trackio.watch(constant, log="parameters", log_freq=1, idx=5)
    constant(torch.ones(1, 1))
    run.log({"done": 1})
    run.finish()
    rows = trackio.Api().run("watch/r").history()
    assert sorted(k for k in rows[0] if "/" in k) == ["gradients/bias", "gradients/weight"]
    assert sorted(k for k in rows[1] if "/" in k) == [
        "gradients/graph_1/bias",
        "gradients/graph_1/weight",
    ]
    one_value = rows[2]["parameters/graph_5/weight"]
    assert (one_value["edges"][0], one_value["edges"][-1]) == (1.5, 2.5)
    assert sum(one_value["counts"]) == 1


def test_finishing_the_run_removes_its_hooks():
    torch = pytest.importorskip("torch")
    model = torch.nn.Linear(3, 2)
    trackio.init(project="watch", name="r")
    trackio.watch(model, log="all", log_freq=1)
    assert model._forward_hooks and model.weight._backward_hooks
    trackio.finish()
    assert not model._forward_hooks and not model.weight._backward_hooks
    trackio.init(project="watch", name="next")
    _train(model, 1)
    trackio.finish()
    assert [k for k in trackio.Api().run("watch/next").history()[0] if "/" in k] == []


def test_watch_bad_input(record_user_warnings):
    torch = pytest.importorskip("torch")
    model = torch.nn.Linear(1, 1)
    trackio.init(project="watch")
    with pytest.raises(ValueError, match=r"log must be one of .*'weights'"):
        trackio.watch(model, log="weights")
    with pytest.raises(ValueError, match="log_freq must be a positive integer, got 0"):
        trackio.watch(model, log_freq=0)
    with pytest.raises(ValueError, match="torch.nn.Module models, got dict"):
        trackio.watch({"not": "a model"})
    with record_user_warnings() as found:
        trackio.watch(model, log_graph=True)
    assert ["log_graph" in str(w.message) for w in found] == [True]
    assert found[0].filename == __file__
