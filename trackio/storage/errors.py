"""The one family of errors the project store raises, whatever its backend.

Front ends translate them once: `Api` into `ValueError`, the CLI into one line and
exit code 1, the server into a JSON error with a 404 (or 409) status.
"""

from __future__ import annotations


class StoreError(Exception):
    """A project's storage cannot do what was asked; the message says why."""


class NotFoundError(LookupError):
    """A project, run or metric that was named does not exist."""


class ProjectNotFoundError(NotFoundError):
    """The project that is read does not exist."""


class RunNotFoundError(NotFoundError):
    """No run of the project has the name or id that was given."""


class AmbiguousRunError(NotFoundError):
    """Several runs share the name that was given; name one by its id."""


class MetricNotFoundError(NotFoundError):
    """The project or run has no metric (or x axis) of that name."""


class ProjectNeedsMigrationError(StoreError):
    """The project file was written by an older trackio or by the PyPI trackio and
    must be migrated (`trackio migrate`, or any `init`/import into it) before reading."""


class NewerSchemaError(StoreError):
    """The project file was written by a newer trackio than this one."""


class NotAProjectFileError(StoreError):
    """The file where the project should be is not a trackio project file."""


class StorageUnavailableError(StoreError):
    """A write failed for a passing reason (a lock held too long, an I/O error);
    nothing was written, and retrying later may succeed."""


class StorageFullError(StorageUnavailableError):
    """The disk holding the project is full; nothing was written."""


class ProjectFileGoneError(StoreError):
    """The project file was deleted while the store was writing to it."""
