"""``hypemeter serve``: the REST API under uvicorn (:func:`hypemeter.service.server.serve`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hypemeter.cli.common import Subparsers, announce_model, positive_int
from hypemeter.errors import HypemeterError

# The service's defaults (hypemeter.service.settings.Settings; a test checks they agree).
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_WORKERS = 1


def port_number(text: str) -> int:
    """An argparse type: a TCP port, 1-65535."""
    value = positive_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"must be a TCP port (1-65535), not {value}")
    return value


def add_parser(sub: Subparsers) -> None:
    p = sub.add_parser(
        "serve", help="serve the REST API with uvicorn",
        description="Serve the REST API and the page. Options override the HYPEMETER_* "
        "settings (docs/command-line.md). The model is loaded from --model, else "
        "$HYPEMETER_MODELS_DIR, else your trained models, else the shipped model; an --model "
        "that holds no model bundle is an error.",
    )
    p.add_argument("--host", default=None,
                   help=f"interface to bind (default: $HYPEMETER_HOST, else {DEFAULT_HOST})")
    p.add_argument("--port", type=port_number, default=None,
                   help=f"TCP port (default: $HYPEMETER_PORT, else {DEFAULT_PORT})")
    p.add_argument("--workers", type=positive_int, default=None,
                   help="uvicorn worker processes (default: $HYPEMETER_WORKERS, else "
                   f"{DEFAULT_WORKERS})")
    p.add_argument("--model", type=Path, default=None, metavar="PATH",
                   help="models folder or one bundle (default: $HYPEMETER_MODELS_DIR, else "
                   "your trained models once `hypemeter train` has published one, else the "
                   "shipped model)")
    p.set_defaults(func=run)


def startup_version() -> str | None:
    """``$HYPEMETER_MODEL_VERSION`` (the version serve loads instead of ``current``), if set
    and readable (invalid settings are reported by serve itself)."""
    from pydantic import ValidationError

    from hypemeter.service.settings import Settings

    try:
        return Settings().model_version
    except ValidationError:
        return None


def run(args: argparse.Namespace) -> int:
    version = startup_version()
    if args.model is not None:  # an explicit model must be there: fail now, not with 503s
        announce_model("serve", args.model, version)
    else:
        try:
            announce_model("serve", None, version)
        except HypemeterError as exc:  # e.g. an empty models volume awaiting a bundle
            print(f"hypemeter serve: warning: {exc.message}; /readyz answers 503 until a "
                  "model is there", file=sys.stderr)
    from hypemeter.service.server import serve

    return serve(host=args.host, port=args.port, workers=args.workers, model=args.model)
