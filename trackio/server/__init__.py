"""The dashboard server: JSON read API and the built browser app, under uvicorn."""
