"""What the subcommand modules share: argparse types, the argparse sub-parsers type, the
per-field limit read from the settings, the help text of ``--database``, the conventions of
the command family (a help formatter that shows every default, ``--input-format``), and the
"which model" line every model-loading command prints on start."""

from __future__ import annotations

import argparse
from pathlib import Path
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


# --- the conventions every subcommand follows -------------------------------------------------


class HelpFormatter(argparse.HelpFormatter):
    """Every option's help shows its default: ``(default: X)`` is added unless the help text
    already says what the default is, or the option has none to show (a flag, a required
    option, a default of None that the help text explains in words)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "default" in text or action.required or not action.option_strings:
            return text
        default = action.default
        if default is None or default is False or default == [] or default == argparse.SUPPRESS:
            return text  # (0 is a default to show, though 0 == False)
        return f"{text} (default: %(default)s)"


def leaf_parsers(parser: argparse.ArgumentParser, prefix: str = ""
                 ) -> list[tuple[str, argparse.ArgumentParser]]:
    """``(command path, parser)`` of ``parser`` and every sub-parser under it, depth first
    (``("score", p)``, ``("datasets fetch", q)``...); the top-level parser is ``""``."""
    out = [(prefix, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out += leaf_parsers(sub, f"{prefix} {name}".strip())
    return out


def input_format_options(p: argparse.ArgumentParser, formats: tuple[str, ...],
                         default_words: str) -> None:
    """``--input-format`` (and ``--format``, its old spelling, hidden and deprecated): the
    same option, with the same meaning, on every command that reads records."""
    p.add_argument("--input-format", choices=formats, default=None, metavar="FORMAT",
                   help=f"input format, one of {', '.join(formats)} (default: {default_words})")
    p.add_argument("--format", dest="input_format", choices=formats, default=None,
                   action=DeprecatedAlias, help=argparse.SUPPRESS)


class DeprecatedAlias(argparse.Action):
    """An old option spelling that still works, with a warning naming the new one."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        import sys

        new = self.dest.replace("_", "-")
        print(f"{parser.prog}: warning: {option_string} is deprecated, use --{new}",
              file=sys.stderr)
        setattr(namespace, self.dest, values)


# Options that are hidden on purpose (help=SUPPRESS): test hooks and deprecated spellings.
HIDDEN_OPTIONS = frozenset({"--catalog", "--format"})


def span_cap(text: str) -> int | None:
    """An argparse type for ``--max-spans``: an integer >= 0, or ``all`` (no cap)."""
    if text.strip().lower() == "all":
        return None
    return non_negative_int(text)


def announce_model(command: str, model: Path | None, version: str | None = None) -> Path:
    """Resolve the bundle ``command`` will load (``--model``, else the default models folder:
    :func:`hypemeter.paths.default_models_dir`), say which on stderr (version, path and why
    that one), and return its folder. A path that holds no bundle is an error (status 2).
    ``version`` picks a version of a models folder instead of its ``current``."""
    import sys

    from hypemeter.bundles.bundle import read_card, resolve_bundle_dir
    from hypemeter.paths import default_models_dir, models_dir_origin

    if model is not None:
        where, origin = Path(model).expanduser(), "--model"
    else:
        where = default_models_dir()
        origin = models_dir_origin(where)
    bundle_dir = resolve_bundle_dir(where, version)
    version = read_card(bundle_dir).get("version", "?")
    print(f"hypemeter {command}: model {version} from {bundle_dir} ({origin})", file=sys.stderr)
    return bundle_dir
