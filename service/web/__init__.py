"""The web page: ``GET /`` (a single page that calls ``POST /v1/score``) and its assets.

Add it to an app with ``app.include_router(router)``; see :mod:`hypemeter.service.web.routes`.
"""

from hypemeter.service.web.routes import STATIC_DIR, router

__all__ = ["STATIC_DIR", "router"]
