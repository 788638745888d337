"""Bringing runs in from other tools: CSV files and TensorBoard event files."""

from trackio.imports.csv_import import import_csv
from trackio.imports.tensorboard_import import (
    EventFileError,
    EventFileWarning,
    import_tf_events,
)

__all__ = ["EventFileError", "EventFileWarning", "import_csv", "import_tf_events"]
