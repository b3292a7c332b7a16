"""``hypemeter serve``: the REST API under uvicorn (:func:`hypemeter.service.server.serve`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from hypemeter.cli.common import Subparsers


def add_parser(sub: Subparsers) -> None:
    p = sub.add_parser("serve", help="serve the REST API with uvicorn")
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--model", type=Path, default=None, help="bundle or models directory")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hypemeter.service.server import serve

    return serve(host=args.host, port=args.port, workers=args.workers, model=args.model)
