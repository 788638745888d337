"""`init()` and `finish()`: starting runs, tracking the current one, ending them at exit."""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import random
import shlex
import signal
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import trackio.context_vars as context_vars
from trackio.names import generate_run_name, new_run_id
from trackio.run_config import Config, as_mapping, config_to_json
from trackio.saved_files import check_run_id
from trackio.settings import HONOURED_SETTINGS
from trackio.settings import as_dict as settings_dict
from trackio.storage import open_store
from trackio.storage.paths import data_dir, project_db_path, validate_project_name
from trackio.storage.records import RunRecord, RunRequest, this_host
from trackio.tracked_run import DisabledRun, Run
from trackio.writer import RunTarget, Writer, get_writer

if TYPE_CHECKING:
    from trackio.remote.opening import OpenedRemotely

_RESUME_MODES = {
    None: "never",
    False: "never",
    "never": "never",
    True: "allow",
    "allow": "allow",
    "auto": "allow",
    "must": "must",
}
_MODES = {None, "online", "offline", "local", "shared", "disabled", "dryrun", "run"}

_active_runs: list[Run] = []
_global_run: Run | None = None
_pending_config = Config()
_exit_hooks_installed = False
_uncaught_exception = False
_exit_status: int | None = None
_LIVE_RUN_SECONDS = 300.0


def current_run() -> Run | None:
    """The run module-level calls act on: this context's, else the newest in the process."""
    return context_vars.current_run.get() or _global_run


def pending_config() -> Config:
    """`trackio.config` before `init()`: its values seed the next run's config."""
    return _pending_config


def init(
    project: str | None = None,
    name: str | None = None,
    *,
    id: str | None = None,
    group: str | None = None,
    config: Any = None,
    resume: str | bool | None = None,
    tags: list[str] | tuple[str, ...] | None = None,
    notes: str | None = None,
    job_type: str | None = None,
    dir: str | None = None,
    mode: str | None = None,
    reinit: bool | str | None = None,
    space_id: str | None = None,
    dataset_id: str | None = None,
    bucket_id: str | None = None,
    server_url: str | None = None,
    private: bool | None = None,
    settings: Any = None,
    auto_log_cpu: bool | None = None,
    auto_log_gpu: bool | None = None,
    cpu_log_interval: float = 10.0,
    gpu_log_interval: float = 10.0,
    webhook_url: str | None = None,
    **kwargs: Any,
) -> Run:
    """Start a run (or resume one) and make it the current run; as `wandb.init`.

    `project` defaults to `TRACKIO_PROJECT` or `WANDB_PROJECT`. `resume` is
    `"never"` (default: always a new run), `"allow"` (continue the newest run with
    this `name` or `id` if there is one) or `"must"` (continue it or raise).
    `mode="disabled"` gives a run whose calls do nothing. Every other keyword
    `wandb.init` or trackio accepts is accepted; one that has no effect here warns.
    `settings` (a `trackio.Settings` or a dict) may give `mode`, and `silent` or
    `quiet` to print nothing; its other settings warn that they change nothing.
    A previous run of this process is finished first unless `reinit="create_new"`.

    `server_url` (or `TRACKIO_SERVER_URL`) logs to a team server. `space_id` (or
    `TRACKIO_SPACE_ID`; `"user/name"`, or `"name"` in the token's namespace) logs to
    the trackio server of that Hugging Face Space, and wins over `server_url`; a
    missing Space is created (`private`, its projects kept in the Dataset
    `dataset_id`, default `<space_id>-dataset`, or in the storage bucket `bucket_id`).

    System metrics (CPU, memory, disk, network with psutil; NVIDIA GPUs with
    `nvidia-ml-py`) are sampled every `cpu_log_interval`/`gpu_log_interval` seconds
    in a background thread; `auto_log_cpu=False`/`auto_log_gpu=False`,
    `settings={"system_metrics": False}` or `TRACKIO_SYSTEM_METRICS=0` turn them off.
    `webhook_url` is where `alert()` POSTs (default `TRACKIO_WEBHOOK_URL`).
    """
    global _global_run
    space_id = space_id or os.environ.get("TRACKIO_SPACE_ID") or None
    not_local: dict[str, Any] = {"dir": dir}
    if space_id is None:
        not_local.update(dataset_id=dataset_id, bucket_id=bucket_id, private=private)
    unused = {k: v for k, v in {**not_local, **kwargs}.items() if v is not None}
    for key in sorted(unused):
        warnings.warn(
            f"trackio.init() ignores {key}={unused[key]!r}: it has no effect in local mode",
            UserWarning,
            stacklevel=2,
        )
    given_settings = settings_dict(settings)
    ignored_settings = {
        key: value
        for key, value in given_settings.items()
        if key not in HONOURED_SETTINGS and value is not None
    }
    if ignored_settings:
        listed = ", ".join(f"{key}={value!r}" for key, value in sorted(ignored_settings.items()))
        warnings.warn(
            f"trackio.init() ignores settings {listed}: they have no effect in local mode",
            UserWarning,
            stacklevel=2,
        )
    if mode is None:
        mode = given_settings.get("mode")
    mode = (
        mode if mode is not None else os.environ.get("TRACKIO_MODE") or os.environ.get("WANDB_MODE")
    )
    intervals = {"cpu_log_interval": cpu_log_interval, "gpu_log_interval": gpu_log_interval}
    for argument, every in intervals.items():
        if not isinstance(every, (int, float)) or isinstance(every, bool) or not every > 0:
            raise ValueError(f"{argument} must be a number of seconds above 0, got {every!r}")
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {sorted(m for m in _MODES if m)}, got {mode!r}")
    if resume not in _RESUME_MODES:
        raise ValueError(f"resume must be 'never', 'allow' or 'must', got {resume!r}")
    resume_mode = _RESUME_MODES[resume]
    if project is None:
        project = os.environ.get("TRACKIO_PROJECT") or os.environ.get("WANDB_PROJECT")
        if project is None:
            raise ValueError(
                "trackio.init() needs a project: pass project=... or set TRACKIO_PROJECT"
            )
    validate_project_name(project)
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise ValueError(f"run name must be a non-empty string, got {name!r}")
    if id is not None:
        check_run_id(id)
    run_tags = [str(tag) for tag in tags] if tags else []
    init_config = {**_pending_config.as_dict(), **dict(as_mapping(config))}

    previous = current_run()
    if previous is not None and not previous._finished:
        if (
            resume_mode == "allow"
            and previous.project == project
            and ((id is not None and id == previous.id) or (id is None and name == previous.name))
        ):
            if init_config:
                previous.config.update(init_config)
            return previous
        if reinit != "create_new":
            previous.finish()

    run: Run
    if mode == "disabled":
        run = DisabledRun(
            project=project,
            name=name or "disabled",
            run_id=id or "disabled",
            config=init_config,
            on_finish=_forget,
        )
    else:
        run = _open_run(
            project,
            name,
            id,
            resume_mode,
            group,
            job_type,
            notes,
            run_tags,
            init_config,
            space_id,
            server_url,
            (private, dataset_id, bucket_id),
        )
        _install_exit_hooks()
        if not (given_settings.get("silent") or given_settings.get("quiet")):
            _print_banner(run)
        wanted = {
            "machine": (auto_log_cpu, cpu_log_interval),
            "gpu": (auto_log_gpu, gpu_log_interval),
        }
        _sample_system(run, wanted, given_settings)
        run._webhook_url = webhook_url
    _pending_config.clear()
    _active_runs.append(run)
    _global_run = run
    context_vars.current_run.set(run)
    context_vars.current_project.set(project)
    context_vars.current_space_id.set(getattr(run, "_space_id", None) or space_id)
    context_vars.current_server.set(server_url)
    return run


def _open_run(
    project: str,
    name: str | None,
    run_id: str | None,
    resume_mode: str,
    group: str | None,
    job_type: str | None,
    notes: str | None,
    tags: list[str],
    init_config: dict[str, Any],
    space_id: str | None,
    server_url: str | None,
    space_settings: tuple[bool | None, str | None, str | None] = (None, None, None),
) -> Run:
    request = RunRequest(
        name=name,
        run_id=run_id,
        resume=resume_mode,
        group=group,
        job_type=job_type,
        notes=notes,
        tags=tags,
        config=json.loads(config_to_json(init_config)),
    )
    directory = data_dir()
    if space_id is not None:
        from trackio.hub.space_target import space_server

        private, dataset_id, bucket_id = space_settings
        space = space_server(space_id, private=private, dataset_id=dataset_id, bucket_id=bucket_id)
        return _open_remote_run(
            project, directory, space.url, request, space.space_id, space.not_answering
        )
    server = server_url or os.environ.get("TRACKIO_SERVER_URL")
    if server:
        return _open_remote_run(project, directory, server, request, space_id)
    with open_store(project, write=True, create=True, directory=directory) as store:
        opened = store.open_run(request)
    if opened.previous is not None:
        _warn_if_live(opened.previous)
    record = opened.record
    writer = get_writer()
    writer.ensure_started()
    target = RunTarget(project, directory, record.run_id)
    writer.track(target)
    return _run(record, opened.start_step, target, writer, space_id, server_url)


def _run(
    opened: RunRecord | OpenedRemotely,
    start_step: int,
    target: RunTarget,
    writer: Writer,
    space_id: str | None,
    server_url: str | None,
) -> Run:
    """The `Run` of a run opened in the store or on a server (both describe it with
    the same fields)."""
    return Run(
        project=target.project,
        name=opened.name,
        run_id=opened.run_id,
        group=opened.group,
        job_type=opened.job_type,
        tags=opened.tags,
        notes=opened.notes,
        config=opened.config,
        summary_overrides=opened.summary_overrides,
        metric_defs=opened.metric_defs,
        start_step=start_step,
        target=target,
        writer=writer,
        space_id=space_id,
        server_url=server_url,
        on_finish=_forget,
    )


def _open_remote_run(
    project: str,
    directory: Path,
    server: str,
    request: RunRequest,
    space_id: str | None,
    not_answering: str | None = None,
) -> Run:
    """A run logging to a team server: opened there if it answers, else started here
    with its opening sent along with its first values. `not_answering`: why the server
    (a Space building or asleep) cannot be asked now; it is said once, and not asked."""
    from trackio.remote.http import ServerAddress
    from trackio.remote.opening import (
        OPEN_TIMEOUT_SECONDS,
        OpenedRemotely,
        TokenRefused,
        open_on_server,
        say_token_refused_once,
        token_refused_message,
    )
    from trackio.remote.upload import deliver_pending
    from trackio.remote.wire import OpenRequest
    from trackio.remote.wire_decoding import is_wire_run_id
    from trackio.storage.spool import spooled_elsewhere

    address = ServerAddress(server)
    if request.run_id is not None and not is_wire_run_id(request.run_id):
        raise ValueError(
            f"run id {request.run_id!r} cannot be sent to a server: use letters, digits, "
            "'.', '_' and '-'"
        )
    request.pid, request.host = os.getpid(), this_host()
    if request.resume == "never" and request.run_id is None:
        # Made here, so an opening whose answer was lost is continued, not made twice.
        request.run_id = new_run_id()
    writer = get_writer()
    writer.ensure_started()
    url = writer.link(address)
    unreachable: list[bool] = []

    def said_unreachable() -> None:
        unreachable.append(True)
        writer.said_unreachable(url)

    if spooled_elsewhere():
        # What an ended process left for the server goes first: a requeued job that
        # resumes its run must find that run's last values and status there.
        deliver_pending(server, timeout=OPEN_TIMEOUT_SECONDS)
    try:
        if not_answering is not None:
            from trackio.hub.space_target import say_not_answering

            say_not_answering(not_answering, address.url)
            said_unreachable()
            opened = None
        else:
            opened = open_on_server(address, project, request, said_unreachable)
    except TokenRefused as refused:
        message = token_refused_message(address, str(refused))
        say_token_refused_once(address.url, message)
        writer.refused(url, message)
        unreachable.append(True)
        opened = None
    if opened is None:
        if request.resume == "must":
            raise ValueError(
                f"resume='must' needs the server {address.url} to find the run, and it cannot "
                "be asked now"
            )
        if unreachable and request.resume == "allow" and (request.run_id or request.name):
            # The server would continue the run at step 0 over its values: a new run.
            wanted = request.run_id or request.name
            request.run_id, request.resume = new_run_id(), "never"
            print(
                f"trackio: run {wanted!r} cannot be resumed while {address.url} cannot be "
                f"asked; logging to a new run ({request.run_id}) instead",
                file=sys.stderr,
                flush=True,
            )
        run_id = request.run_id or new_run_id()
        name = request.name or generate_run_name(random.randint(1, 9999), set())
        request.run_id, request.name = run_id, name
        if request.resume == "never":
            # Sent again after a lost answer, the opening must continue the run, not fail.
            request.resume = "allow"
        opened = OpenedRemotely(
            run_id,
            name,
            request.config,
            group=request.group,
            job_type=request.job_type,
            notes=request.notes,
            tags=request.tags,
        )
        target = RunTarget(project, directory, run_id, url)
        writer.announce(target, OpenRequest(run_id, request))
    target = RunTarget(project, directory, opened.run_id, url)
    writer.track(target)
    return _run(opened, opened.start_step, target, writer, space_id, url)


def _sample_system(
    run: Run, wanted: dict[str, tuple[bool | None, float]], settings: dict[str, Any]
) -> None:
    """Start sampling the machine for `run`, unless turned off (by argument, setting
    or environment); a kind asked for by `True` that cannot be read here warns."""
    from trackio.system.sampler import enabled_by_environment

    if settings.get("system_metrics") is False or settings.get("x_disable_stats") is True:
        return
    if not enabled_by_environment():
        return
    intervals = {kind: every for kind, (on, every) in wanted.items() if on is not False}
    if not intervals:
        return
    from trackio.system.sampler import sampler

    sampled = sampler().add(run, intervals)
    run._sampling_system = bool(sampled)
    for kind, (on, _) in wanted.items():
        if on is True and kind not in sampled:
            needs = "psutil" if kind == "machine" else "nvidia-ml-py and an NVIDIA GPU"
            warnings.warn(
                f"trackio.init(auto_log_{'cpu' if kind == 'machine' else 'gpu'}=True) cannot "
                f"sample here: it needs {needs}",
                UserWarning,
                stacklevel=4,
            )


def _warn_if_live(record: RunRecord) -> None:
    idle = time.time() - record.updated_at
    if record.status == "running" and idle < _LIVE_RUN_SECONDS:
        warnings.warn(
            f"run {record.name!r} ({record.run_id}) may still be logging from another process "
            f"(its last write was {idle:.0f} s ago); if both log at the same step, the value "
            "written last replaces the other",
            UserWarning,
            stacklevel=4,
        )


def _print_banner(run: Run) -> None:
    if os.environ.get("TRACKIO_QUIET"):
        return
    from trackio.launcher import serving_url

    project = run.project
    print(f"* Trackio project initialized: {project}")
    if run._target.server is not None:
        print(f"* Trackio metrics logged to the server {run._target.server}")
    else:
        print(f"* Trackio metrics logged to: {project_db_path(project, run._target.directory)}")
    if serving_url() is None and run._target.server is None:
        print(f"* View dashboard by running: trackio show --project {shlex.quote(project)}")
    print(f"* View run {run.name} at: {run.url}")


def _forget(run: Run) -> None:
    global _global_run
    if run in _active_runs:
        _active_runs.remove(run)
    if _global_run is run:
        _global_run = _active_runs[-1] if _active_runs else None
    if context_vars.current_run.get() is run:
        context_vars.current_run.set(_global_run)


def finish(exit_code: int | None = None, quiet: bool | None = None) -> None:
    """Finish the current run: every logged value is on disk when this returns."""
    run = current_run()
    if run is not None:
        run.finish(exit_code=exit_code)


def finish_all(exit_code: int | None = None) -> None:
    """Finish every run this process still has open."""
    for run in list(reversed(_active_runs)):
        try:
            run.finish(exit_code=exit_code)
        except Exception as error:  # noqa: BLE001 - finish the others regardless
            print(f"trackio: could not finish run {run.name!r}: {error}", file=sys.stderr)


def _install_exit_hooks() -> None:
    global _exit_hooks_installed
    if _exit_hooks_installed:
        return
    _exit_hooks_installed = True
    atexit.register(_finish_at_exit)
    previous_hook = sys.excepthook

    def excepthook(kind: Any, value: Any, traceback: Any) -> None:
        global _uncaught_exception
        _uncaught_exception = True
        previous_hook(kind, value, traceback)

    sys.excepthook = excepthook
    original_exit = sys.exit

    def exit_recording_status(status: str | int | None = None) -> NoReturn:
        global _exit_status
        _exit_status = status if isinstance(status, int) or status is None else 1
        original_exit(status)

    # atexit handlers cannot see the exit status, so record what sys.exit() is given.
    sys.exit = exit_recording_status
    if threading.current_thread() is threading.main_thread():
        previous_handler = signal.getsignal(signal.SIGTERM)
        if previous_handler is not signal.SIG_IGN:
            signal.signal(signal.SIGTERM, _sigterm_handler(previous_handler))


def _finish_at_exit() -> None:
    finish_all(exit_code=1 if _uncaught_exception else (_exit_status or None))
    get_writer().close_remote()


def _detach_runs_in_forked_child() -> None:
    """A forked child must not write or finish its parent's runs."""
    global _global_run
    for run in _active_runs:
        run._detach_after_fork()
    _active_runs.clear()
    _global_run = None


os.register_at_fork(after_in_child=_detach_runs_in_forked_child)


def _sigterm_handler(previous: Any) -> Any:
    def handler(signum: int, frame: Any) -> None:
        finish_all(exit_code=128 + signum)
        # The signal may have interrupted a finish() that had not synced yet.
        with contextlib.suppress(Exception):
            get_writer().sync(timeout=60)
        if callable(previous):
            previous(signum, frame)
            return
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    return handler
