"""hypemeter's REST scoring service (FastAPI). Build it with :func:`service.app.create_app`."""
