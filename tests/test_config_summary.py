import pytest

import trackio


def _user_config(apirun):
    assert isinstance(apirun.config, dict)
    return {k: v for k, v in apirun.config.items() if not k.startswith("_")}


def test_config_attribute_and_item_access(read_run):
    run = trackio.init(project="cfg", config={"lr": 0.1, "model": {"depth": 4}})
    assert trackio.config.lr == 0.1
    assert trackio.config["lr"] == 0.1
    trackio.config.batch = 32
    trackio.config["optimizer"] = "adam"
    assert run.config["batch"] == 32
    assert run.config.optimizer == "adam"
    assert {"lr", "model", "batch", "optimizer"} <= set(run.config.keys())
    assert dict(run.config.items())["batch"] == 32
    trackio.log({"a": 1})
    trackio.finish()
    stored = _user_config(read_run("cfg"))
    assert stored["lr"] == 0.1
    assert stored["batch"] == 32
    assert stored["optimizer"] == "adam"
    assert "model" in stored or "model/depth" in stored or "model.depth" in stored


def test_config_update_and_setdefault(read_run):
    run = trackio.init(project="cfg", config={"lr": 0.1})
    run.config.update({"lr": 0.2, "epochs": 5}, allow_val_change=True)
    assert run.config.lr == 0.2
    assert run.config.setdefault("epochs", 99) == 5
    assert run.config.setdefault("warmup", 10) == 10
    assert run.config.warmup == 10
    trackio.log({"a": 1})
    trackio.finish()
    assert _user_config(read_run("cfg")) == {"lr": 0.2, "epochs": 5, "warmup": 10}


def test_allow_val_change_is_never_stored(read_run):
    run = trackio.init(project="cfg")
    run.config.update({"x": 1}, allow_val_change=True)
    trackio.config.update({"y": 2}, allow_val_change=False)
    assert "allow_val_change" not in list(run.config.keys())
    trackio.log({"a": 1})
    trackio.finish()
    stored = read_run("cfg").config
    assert "allow_val_change" not in stored
    assert stored["x"] == 1
    assert stored["y"] == 2


def test_config_changes_after_logging_are_persisted(read_run):
    run = trackio.init(project="cfg", config={"a": 1})
    trackio.log({"m": 1})
    run.config.b = 2
    trackio.log({"m": 2})
    run.config.update({"c": 3})
    run.config["a"] = 10
    run.config.setdefault("d", 4)
    trackio.finish()
    assert _user_config(read_run("cfg")) == {"a": 10, "b": 2, "c": 3, "d": 4}


def test_config_set_without_any_log_is_persisted(read_run):
    run = trackio.init(project="cfg", name="nolog", config={"a": 1})
    run.config.b = 2
    trackio.finish()
    assert _user_config(read_run("cfg")) == {"a": 1, "b": 2}


def test_summary_defaults_to_last_logged_value(read_run):
    run = trackio.init(project="sum")
    trackio.log({"loss": 3.0, "only_first": "x"})
    trackio.log({"loss": 2.0})
    trackio.log({"loss": 2.5})
    assert run.summary["loss"] == 2.5
    assert run.summary["only_first"] == "x"
    trackio.finish()
    summary = read_run("sum").summary
    assert isinstance(summary, dict)
    assert summary["loss"] == 2.5
    assert summary["only_first"] == "x"


def test_summary_override_persists(read_run):
    run = trackio.init(project="sum")
    trackio.log({"loss": 1.0})
    trackio.log({"loss": 0.5})
    run.summary["loss"] = 0.123
    run.summary["best_epoch"] = 7
    assert run.summary["loss"] == 0.123
    trackio.finish()
    summary = read_run("sum").summary
    assert summary["loss"] == 0.123
    assert summary["best_epoch"] == 7


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("min", 1.0), ("max", 9.0), ("mean", 4.0), ("last", 2.0)],
)
def test_define_metric_summary_modes(read_run, mode, expected):
    run = trackio.init(project="sum")
    run.define_metric("score", summary=mode)
    for value in (5.0, 1.0, 9.0, 3.0, 2.0):
        trackio.log({"score": value, "other": value})
    assert run.summary["score"] == pytest.approx(expected)
    trackio.finish()
    summary = read_run("sum").summary
    assert summary["score"] == pytest.approx(expected)
    assert summary["other"] == 2.0


def test_module_level_summary_and_define_metric(read_run):
    trackio.init(project="sum")
    trackio.define_metric("loss", summary="min")
    trackio.define_metric("acc", step_metric="epoch", summary="max")
    for loss, acc, epoch in ((0.9, 0.1, 0), (0.3, 0.8, 1), (0.5, 0.6, 2)):
        trackio.log({"loss": loss, "acc": acc, "epoch": epoch})
    trackio.summary["note"] = "done"
    assert trackio.summary["loss"] == 0.3
    trackio.finish()
    summary = read_run("sum").summary
    assert summary["loss"] == 0.3
    assert summary["acc"] == 0.8
    assert summary["epoch"] == 2
    assert summary["note"] == "done"


def test_resumed_run_summary_covers_old_history(read_run):
    trackio.init(project="sum", name="r")
    trackio.log({"loss": 5.0})
    trackio.log({"loss": 2.0})
    trackio.finish()
    run = trackio.init(project="sum", name="r", resume="allow")
    assert run.summary["loss"] == 2.0
    run.define_metric("loss", summary="max")
    trackio.log({"loss": 1.0})
    trackio.finish()
    assert read_run("sum").summary["loss"] == 5.0
