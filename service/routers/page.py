"""The web page: ``GET /``, ``GET /static/{file}`` and ``GET /v1/page-config``.

The routes and the assets live in :mod:`hypemeter.service.web` (the page's static files are
package data there); this module is where the app factory takes the page router from.
"""

from hypemeter.service.web.routes import router

__all__ = ["router"]
