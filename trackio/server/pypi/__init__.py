"""What the PyPI trackio's client (0.24 and later) and the Go, JavaScript and Rust
clients of its repository send a self-hosted server, accepted by a team server as is.

That client asks `GET /version` for `{"api_version": 1}` (answered in `team.py`),
then posts `{"args": [], "kwargs": {...}}` bodies to `/api/<name>` with its write
token in the `X-Trackio-Write-Token` header, and counts a batch as delivered only on
a 2xx JSON object without an `"error"`; anything else it stores locally and re-sends,
forever (every 0.5 s, and in a tight loop for 30 s at `finish()`). So everything it
can legitimately send is stored or skipped with a 200, and a 400 is kept for bodies
it never sends. Routes:

- `POST /api/bulk_log`: `logs` entries `{project, run, run_id, metrics, step, config,
  log_id}` (re-sent ones also carry `timestamp`, with `config` null). The Go,
  JavaScript and Rust clients of their repository post a flat body instead,
  `{project, run, metrics_list, steps, timestamps, config}` (no ids; a step of -1
  means none), which is taken too; they need only a 2xx.
- `POST /api/bulk_log_system`: `logs` entries `{project, run, run_id, metrics,
  timestamp, log_id}`, no step.
- `POST /api/bulk_alert`: `alerts` entries `{project, run, run_id, title, text, level,
  step, timestamp, alert_id}`.
- `POST /api/upload`: multipart `files` parts, answered `{"paths": [handle, ...]}`;
  then `POST /api/bulk_upload_media`: `uploads` entries `{project, run, run_id, step,
  relative_path, uploaded_file: {path: handle, orig_name}}`.
- `POST /api/get_runs_for_project` (`project`) and `POST /api/get_run_summary`
  (`project`, `run_id` or `run`): what `init(name=...)` and resuming ask.

Writes need the write token (401 without one, 403 for a wrong one, as `/api/ingest`);
the two reads need the read token when the server has one (the write token does too).
Successful writes answer `{"data": null}`, as the PyPI server does.

How their data becomes ours:

- Exactly once: each entry is stored under its own batch id, `pypi:<log_id>` (system
  entries `pypi-system:<log_id>`, alerts `pypi-alert:<alert_id>`), through the
  store's `append(..., batch_id=)`, so the id is recorded in the transaction that
  stores the entry and a repeated id stores nothing, across server restarts and
  however the client regroups entries when it re-sends them. Ids are per project, as
  on the PyPI server. An entry without an id (the flat body's) is stored each time
  it arrives. One transaction per entry is the price of per-entry ids (the store
  records one id per `append`): about 0.3 ms per entry here.
- Runs are keyed by `run_id` (their 32-hex ids fit ours); an entry without one
  names the newest run called `run`. A run seen for the first time is created with
  the entry's `run` as its name; an entry carrying a `config` (their client sends
  one with the first entry of every `init()`, resumes included) opens the run with
  `resume="allow"`, so a resumed run is marked running again and
  the config is merged over the stored one (the PyPI server replaces it; merging
  keeps the user's keys when a resume sends only its bookkeeping). Their reserved
  config keys are not stored: `_Group` becomes the run's group, `_Username` and
  `_Created` are dropped (as `trackio migrate` does with their project files). Their
  protocol has no finish call, so a run stays `running` and, like any run whose
  writer went quiet, reads as `crashed` two minutes after its last batch.
- Values as `log()` stores them: nested dicts flattened with `/`; the strings `NaN`,
  `Infinity` and `-Infinity` (how their client sends those floats, so the same text
  logged as a string arrives as a float too) become floats; null values, empty keys
  and text that is not UTF-8 are skipped; lists and other JSON are stored as JSON
  values. Their client renames the metric keys `project, run, timestamp, time,
  metrics` and any key starting with `__` to `__<key>`; that is undone, except that
  `step` stays `__step`, which is where our `log()` stores it too. A null `step` is
  the run's last step plus one; an entry's `timestamp` is its time, else the time the
  server received it.
- Media: a `trackio.image`, `trackio.video` or `trackio.audio` value is stored as our
  media once both it and its file (`upload` + `bulk_upload_media`) have arrived,
  matched by project, run, step and file name, in either order, under its own batch
  id `pypi-media:<digest>`. Whichever comes first waits in
  `<TRACKIO_DIR>/.pypi-uploads/parked/` (the value as a small JSON claim), so the
  value is stored once, as media, never first as a dict; a value whose file never
  arrives is not stored at all (their server would show a broken image). A value
  naming no usable file (or a file our media cannot read) is stored as its JSON dict.
  `trackio.histogram` becomes our `Histogram`. Tables (their cells' files included),
  markdown, HTML, traces and other `_type` values are stored as JSON dicts. Uploaded
  image, video and audio files no value claims (a table cell's) stay parked; other
  files are deleted at once, and uploads no `bulk_upload_media` named within a day
  are deleted by a later upload.
- `bulk_log_system`: metrics stored under `system/<name>` (a name already starting
  with `system/` is kept) at the run's last step, with their own timestamps (chart
  them against wall time).
- `bulk_alert`: stored as the text value `[<level>] <title>: <text>` of the metric
  `alert` at the alert's step (it shows in the runs table's `alert` column).

Modules, in the order a request goes through them:

- `routes`: the routes (`pypi_routes`), and handing checked entries and uploads to the
  team's writers.
- `calls`: reading a request: the call's keyword arguments (`decode_call`), the fields
  of its entries, the contrib clients' flat body, metrics flattened.
- `entries`: `bulk_log`, `bulk_log_system` and `bulk_alert` entries checked, and
  stored in the runs they name (`store_entries`).
- `uploads`: uploaded files: `/api/upload` bodies, `bulk_upload_media` entries, and
  the media slots where a file media value and its file meet (`complete_media`).
- `reads`: the `get_runs_for_project` and `get_run_summary` answers.
"""

from trackio.server.pypi.routes import pypi_routes

__all__ = ["pypi_routes"]
