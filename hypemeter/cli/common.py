"""What the subcommand modules share: argparse types, the argparse sub-parsers type, the
per-field limit read from the settings, and the help text of ``--database``."""

from __future__ import annotations

import argparse
from typing import TypeAlias

from hypemeter.errors import InvalidSettingError

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

DATABASE_HELP = ("database URL (default $HYPEMETER_DATABASE_URL, else feedback.db in the user "
                 "data folder)")


def non_negative_int(text: str) -> int:
    """An argparse type: an integer >= 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def positive_int(text: str) -> int:
    """An argparse type: an integer >= 1."""
    value = non_negative_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def field_limit() -> int:
    """The per-field character limit, ``HYPEMETER_MAX_FIELD_CHARS``, read through the same
    settings object as the API (so the CLI and the API refuse the same records)."""
    from pydantic import ValidationError

    from hypemeter.service.settings import Settings

    try:
        return Settings().max_field_chars
    except ValidationError as exc:
        problems = "; ".join(
            f"HYPEMETER_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        )
        raise InvalidSettingError(f"invalid setting: {problems}") from None
