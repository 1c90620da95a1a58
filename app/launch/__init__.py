"""How `python -m app` runs the service: in one process, or in WORKERS processes under
uvicorn's process manager."""
