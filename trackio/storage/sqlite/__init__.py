"""The SQLite backend of the project store: one file per project."""
