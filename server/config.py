"""``riscade.toml``: every ``riscade serve`` option in a file; flags on the command line win.

Nothing here knows the options: they are read from the ``argparse`` parser of
``server.cli``, so an option added there can be set in the file with no change here.

- A key is an option's long flag without its dashes, spelled with dashes or underscores
  (``tick-rate = 20`` or ``tick_rate = 20``); keys sit at the top level of the file.
- A value has the option's type: a TOML integer for an ``int`` option, a number for a
  ``float`` one, ``true``/``false`` for a switch (``--watch``), an array for an option that
  may be repeated (``--origin``), a string for anything else (paths are relative to the
  directory the server is started in, as on the command line); it passes the option's
  ``type`` and ``choices`` as a flag's value does.
- An unknown key, a value of the wrong type or a TOML syntax error is a ``ConfigError``:
  one line naming the file and the key (or the line of the syntax error).

``example(parser)`` writes the commented file ``riscade.example.toml`` from the parser
(``python -m server.example_config > riscade.example.toml`` regenerates it; a test keeps it true).
"""

from __future__ import annotations

import argparse
import copy
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["ConfigError", "DEFAULT_FILE", "parse_with_config", "read_config", "example"]

#: The file ``riscade serve`` reads when no ``--config`` is given (only if it exists).
DEFAULT_FILE = Path("riscade.toml")
#: The option that names the file: it cannot be set in the file itself.
CONFIG_DEST = "config"


class ConfigError(ValueError):
    """A config file that cannot be used; ``str()`` is one line naming the file."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def _settable(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    """The options a config file may set, by key (the long flag without its dashes)."""
    actions: dict[str, argparse.Action] = {}
    for action in parser._actions:  # argparse has no public list of its actions
        longs = [s for s in action.option_strings if s.startswith("--")]
        if not longs or action.dest in (CONFIG_DEST, "help"):
            continue
        if isinstance(action, _KINDS):
            actions[longs[0][2:]] = action
    return actions


_KINDS = (argparse._StoreAction, argparse._StoreTrueAction, argparse._StoreFalseAction,
          argparse._AppendAction)


def _kind(action: argparse.Action) -> str:
    """What a TOML value for ``action`` must be, in words for an error."""
    if isinstance(action, argparse._StoreTrueAction | argparse._StoreFalseAction):
        return "true or false"
    one = _scalar_kind(action)
    if isinstance(action, argparse._AppendAction) or action.nargs in ("*", "+") or \
            isinstance(action.nargs, int):
        return f"an array of {one}s"
    return f"a{'n' if one[0] in 'aeiou' else ''} {one}"


def _scalar_kind(action: argparse.Action) -> str:
    if action.type is int:
        return "integer"
    if action.type is float:
        return "number"
    return "string"


def _scalar(action: argparse.Action, key: str, value: Any) -> Any:
    """One TOML value converted as argparse converts a flag's value; raises ValueError."""
    kind = _scalar_kind(action)
    ok = {"integer": isinstance(value, int) and not isinstance(value, bool),
          "number": isinstance(value, int | float) and not isinstance(value, bool),
          "string": isinstance(value, str)}[kind]
    if not ok:
        raise ValueError(f"{key} must be {_kind(action)}, not {_toml_type(value)}")
    convert = action.type
    if convert is not None and kind == "string":
        try:
            value = convert(value)  # type: ignore[operator]  # argparse types are callables
        except (TypeError, ValueError, argparse.ArgumentTypeError) as exc:
            raise ValueError(f"{key}: {exc}") from None
    elif convert is float:
        value = float(value)
    if action.choices is not None and value not in action.choices:
        raise ValueError(f"{key} must be one of {', '.join(map(str, action.choices))}, "
                         f"not {value!r}")
    return value


def _toml_type(value: Any) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a float", str: "a string",
             list: "an array", dict: "a table"}
    return next((n for t, n in names.items() if isinstance(value, t)), type(value).__name__)


def _value(action: argparse.Action, key: str, value: Any) -> Any:
    """A TOML value for ``action``, converted; raises ValueError naming ``key``."""
    if isinstance(action, argparse._StoreTrueAction | argparse._StoreFalseAction):
        if not isinstance(value, bool):
            raise ValueError(f"{key} must be true or false, not {_toml_type(value)}")
        return value if isinstance(action, argparse._StoreTrueAction) else not value
    if _kind(action).startswith("an array"):
        if not isinstance(value, list):
            raise ValueError(f"{key} must be {_kind(action)}, not {_toml_type(value)}")
        return [_scalar(action, key, v) for v in value]
    return _scalar(action, key, value)


def read_config(path: Path, parser: argparse.ArgumentParser) -> dict[str, Any]:
    """The options set in the file at ``path``, by ``dest``, converted and checked against
    ``parser``'s options.

    Raises:
        ConfigError: the file cannot be read, is not TOML, or sets an unknown option or a
            value the option does not take (the message names the key or the line).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(path, f"cannot read it: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(path, "not UTF-8 text") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # its message ends "(at line L, column C)"
        message = str(exc)
        if message.endswith("(at end of document)"):  # say which line that is
            last = len(text.rstrip().splitlines())
            message = message.replace("(at end of document)",
                                      f"(at the end of the file, after line {last})")
        raise ConfigError(path, f"not valid TOML: {message}") from None
    settable = _settable(parser)
    values: dict[str, Any] = {}
    for raw_key, value in data.items():
        key = raw_key.replace("_", "-")
        action = settable.get(key)
        if action is None:
            what = "a table" if isinstance(value, dict) else "an option"
            hint = " (it is a command-line option only)" if key == CONFIG_DEST else ""
            raise ConfigError(path, f"unknown key {raw_key!r}: not {what} of riscade serve"
                                    f"{hint}")
        if action.dest in values:
            raise ConfigError(path, f"{raw_key!r} is set twice (with - and _)")
        try:
            values[action.dest] = _value(action, raw_key, value)
        except ValueError as exc:
            raise ConfigError(path, str(exc)) from None
    return values


def _given(parser: argparse.ArgumentParser, argv: Sequence[str]) -> set[str]:
    """The ``dest`` of every option given on the command line ``argv``."""
    bare = copy.deepcopy(parser)
    for action in bare._actions:
        action.default = argparse.SUPPRESS
    return set(vars(bare.parse_args(list(argv))))


def parse_with_config(parser: argparse.ArgumentParser,
                      argv: Sequence[str]) -> argparse.Namespace:
    """``parser.parse_args(argv)`` with the options of the config file filled in where the
    command line did not give them: the file named by ``--config``, else ``DEFAULT_FILE``
    if it exists, else none.

    Raises:
        ConfigError: the config file cannot be used (``read_config``).
        SystemExit: argparse's own exit on a bad command line or ``--help``.
    """
    opts = parser.parse_args(list(argv))
    path: Path | None = getattr(opts, CONFIG_DEST, None)
    if path is None:
        if not DEFAULT_FILE.is_file():
            return opts
        path = DEFAULT_FILE
    given = _given(parser, argv)
    for dest, value in read_config(path, parser).items():
        if dest not in given:
            setattr(opts, dest, value)
    return opts


def _toml_literal(value: Any) -> str | None:
    """``value`` as a TOML literal, or None if TOML cannot say it (unset)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        items = [_toml_literal(v) for v in value]
        return None if None in items else f"[{', '.join(i for i in items if i)}]"
    text = str(value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def example(parser: argparse.ArgumentParser) -> str:
    """A commented ``riscade.toml`` listing every option ``parser`` has, with its help and
    its default (an option with no default shows the kind of value it takes)."""
    lines = [
        "# riscade.toml: the options of `riscade serve` (this file is riscade.example.toml,",
        "# generated from the command's options by `python -m server.example_config`).",
        "# `riscade serve` reads ./riscade.toml if it exists, or the file given with",
        "# --config FILE; a flag on the command line overrides the file. Keys are the long",
        "# flags without dashes (tick-rate or tick_rate). Uncomment what you change.",
    ]
    for key, action in _settable(parser).items():
        lines.append("")
        help_text = " ".join((action.help or "").split()) or key
        if "%(" in help_text:
            help_text = help_text % {"default": action.default, "prog": parser.prog}
        lines.extend(_wrap(help_text, "# "))
        default = action.default
        if isinstance(action, argparse._StoreFalseAction):
            default = not default
        literal = _toml_literal(default)
        if literal is None:
            lines.append(f"# {key} =   ({_kind(action)}; unset by default)")
        else:
            lines.append(f"# {key} = {literal}")
    return "\n".join(lines) + "\n"


def _wrap(text: str, prefix: str, width: int = 96) -> list[str]:
    out: list[str] = []
    line = ""
    for word in text.split():
        if line and len(prefix) + len(line) + 1 + len(word) > width:
            out.append(prefix + line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        out.append(prefix + line)
    return out
