"""Local storage: one SQLite file per project, scalar series kept as packed chunks."""
