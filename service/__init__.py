"""hypemeter's REST scoring service (FastAPI).

Build it with :func:`hypemeter.service.app.create_app`.
"""
