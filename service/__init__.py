"""The REST service (FastAPI): an app factory that assembles the routers, request handling over
the scorer, keys, limits, metrics, logs and one model in every worker.

Build it with :func:`hypemeter.service.app.create_app`.
"""
