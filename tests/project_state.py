"""What the import tests compare: everything a reader can see of the data directory."""

import trackio


def without_timestamps(history):
    """History rows without their wall times (an import sets those)."""
    return [{k: v for k, v in row.items() if k != "timestamp"} for row in history]


def snapshot(data_dir):
    """Projects, runs and their values, and the files of the data directory."""
    state = {}
    for project in trackio.Api().projects():
        runs = sorted(trackio.Api().runs(project), key=lambda r: r.id)
        state[project] = [(r.id, r.name, r.status, repr(r.history())) for r in runs]
    files = sorted(p.name for p in data_dir.iterdir() if not p.name.endswith(("-wal", "-shm")))
    return state, files
