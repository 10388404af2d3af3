"""riscade.toml: every ``riscade serve`` option from a file, type-checked against the parser;
flags win; a bad file is one line naming the key or the line."""

from __future__ import annotations

import argparse
import re
import tomllib
from pathlib import Path

import pytest

from server.cli import build_parser
from server.config import ConfigError, example, parse_with_config, read_config

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "riscade.example.toml"


def write(tmp_path: Path, text: str, name: str = "riscade.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problem(path: Path, parser: argparse.ArgumentParser | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        read_config(path, parser or build_parser())
    text = str(caught.value)
    assert "\n" not in text and text.startswith(f"{path}: "), text
    return text


# --- the example file ---------------------------------------------------------------------

def test_the_example_file_is_the_one_the_parser_makes() -> None:
    assert EXAMPLE.read_text(encoding="utf-8") == example(build_parser()), \
        "riscade.example.toml is stale: python -m server.example_config > riscade.example.toml"


def test_the_example_lists_every_option_a_flag_has() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    keys = set(re.findall(r"^# ([a-z][a-z0-9-]*) =", text, re.MULTILINE))
    flags = {s[2:] for a in build_parser()._actions for s in a.option_strings
             if s.startswith("--")} - {"help", "config"}
    assert keys == flags
    assert {"tick-rate", "port", "origin", "watch", "log-format"} <= keys


def test_the_examples_defaults_read_back_as_the_parsers_defaults(tmp_path: Path) -> None:
    """Uncomment every line that shows a value: the file is valid and sets each option to
    the default the command line has."""
    lines = [line[2:] for line in EXAMPLE.read_text(encoding="utf-8").splitlines()
             if re.match(r"^# [a-z][a-z0-9-]* = [^ (]", line)]
    assert len(lines) >= 10
    values = read_config(write(tmp_path, "\n".join(lines)), build_parser())
    defaults = vars(build_parser().parse_args([]))
    assert values and all(defaults[dest] == value for dest, value in values.items()), values
    assert values["tick_rate"] == 20 and values["log_format"] == "text"


# --- reading values -----------------------------------------------------------------------

def test_keys_with_dashes_or_underscores_and_typed_values(tmp_path: Path) -> None:
    path = write(tmp_path, 'tick-rate = 30\nmax_conns_per_address = 2\nwatch = true\n'
                           'cache = "some/cache"\norigin = ["https://a.example", "*"]\n'
                           'log-level = "debug"\n')
    assert read_config(path, build_parser()) == {
        "tick_rate": 30, "max_conns_per_address": 2, "watch": True,
        "cache": Path("some/cache"), "origin": ["https://a.example", "*"],
        "log_level": "DEBUG",
    }


@pytest.mark.parametrize(("text", "phrase"), [
    ("port = \"8765\"", "port must be an integer, not a string"),
    ("port = true", "port must be an integer, not a boolean"),
    ("port = 8765.0", "port must be an integer, not a float"),
    ("watch = 1", "watch must be true or false, not an integer"),
    ("origin = \"https://a.example\"", "origin must be an array of strings, not a string"),
    ("origin = [1]", "origin must be an array of strings, not an integer"),
    ("cache = 3", "cache must be a string, not an integer"),
    ("log-format = \"xml\"", "log-format must be one of text, json, not 'xml'"),
    ("log_level = \"LOUD\"", "log_level must be one of DEBUG, INFO, WARNING, ERROR, not 'LOUD'"),
    ("host = {a = 1}", "host must be a string, not a table"),
])
def test_a_value_of_the_wrong_type_names_the_key(tmp_path: Path, text: str, phrase: str) -> None:
    assert problem(write(tmp_path, text)).endswith(phrase)


@pytest.mark.parametrize(("text", "phrase"), [
    ("tick-rat = 20", "unknown key 'tick-rat': not an option of riscade serve"),
    ("[serve]\nport = 1", "unknown key 'serve': not a table of riscade serve"),
    ("config = \"other.toml\"", "unknown key 'config'"),
    ("help = true", "unknown key 'help'"),
    ("tick-rate = 1\ntick_rate = 2", "'tick_rate' is set twice"),
])
def test_an_unknown_key_names_the_key_and_the_file(tmp_path: Path, text: str,
                                                   phrase: str) -> None:
    assert phrase in problem(write(tmp_path, text))


@pytest.mark.parametrize(("text", "line"), [
    ("port = 1\ntick-rate = \n", 2),
    ("port = 1\n\n\nhost = 'a\n", 4),
    ("[a\n", 1),
    ("port = 1\nport = 2\n", 2),
])
def test_a_file_that_is_not_toml_names_the_line(tmp_path: Path, text: str, line: int) -> None:
    message = problem(write(tmp_path, text))
    assert "not valid TOML" in message and re.search(rf"\bline {line}\b", message), message


def test_a_file_that_cannot_be_read(tmp_path: Path) -> None:
    assert "cannot read it: No such file or directory" in problem(tmp_path / "missing.toml")
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"port = 1\n\xff\xfe")
    assert problem(binary).endswith("not UTF-8 text")


def test_a_huge_or_hostile_file_is_contained(tmp_path: Path) -> None:
    """Deep nesting and a long key: an error of one line, not a crash or a page of text."""
    deep = write(tmp_path, "x = " + "[" * 5000 + "]" * 5000, "deep.toml")
    with pytest.raises((ConfigError, RecursionError)):
        read_config(deep, build_parser())
    long_key = write(tmp_path, "k" * 10_000 + " = 1", "long.toml")
    assert "unknown key" in problem(long_key)


# --- flags win; the default file -------------------------------------------------------------

def test_flags_override_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, 'tick-rate = 30\nport = 9000\norigin = ["https://a.example"]\n'
                           'watch = true\n')
    opts = parse_with_config(build_parser(), ["--config", str(path), "--port", "9001",
                                              "--origin", "https://b.example"])
    assert opts.port == 9001 and opts.tick_rate == 30 and opts.watch is True
    assert opts.origin == ["https://b.example"]  # not the file's list plus the flag's
    plain = parse_with_config(build_parser(), ["--config", str(path)])
    assert plain.origin == ["https://a.example"] and plain.port == 9000


def test_a_flag_equal_to_the_default_still_wins(tmp_path: Path) -> None:
    path = write(tmp_path, "port = 9000\n")
    assert parse_with_config(build_parser(), ["--config", str(path), "--port", "8765"]).port \
        == 8765


def test_riscade_toml_in_the_working_directory_is_read(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert parse_with_config(build_parser(), []).seed == 1  # no file: the defaults
    write(tmp_path, "seed = 77\n")
    assert parse_with_config(build_parser(), []).seed == 77
    assert parse_with_config(build_parser(), ["--seed", "5"]).seed == 5
    write(tmp_path, "seed = 78\n", "other.toml")
    assert parse_with_config(build_parser(), ["--config", "other.toml"]).seed == 78


def test_a_named_file_that_is_missing_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read it"):
        parse_with_config(build_parser(), ["--config", str(tmp_path / "nope.toml")])


def test_options_added_later_get_config_support_for_free(tmp_path: Path) -> None:
    """Nothing in server.config names an option: a new one is read from the file at once."""
    parser = build_parser()
    parser.add_argument("--later-ticks", type=int, default=600, help="later")
    parser.add_argument("--later-file", type=Path, default=None, help="a file")
    parser.add_argument("--no-keepalive", dest="keepalive", action="store_false")
    parser.add_argument("--rate", type=float, default=1.5, choices=[1.5, 2.0])
    path = write(tmp_path, 'later-ticks = 100\nlater_file = "pw.txt"\nno-keepalive = true\n'
                           "rate = 2\n")
    opts = parse_with_config(parser, ["--config", str(path)])
    assert (opts.later_ticks, opts.later_file, opts.keepalive, opts.rate) == \
        (100, Path("pw.txt"), False, 2.0)
    assert "rate must be one of 1.5, 2.0, not 3.0" in problem(write(tmp_path, "rate = 3"), parser)
    assert "# later-ticks = 600" in example(parser)
    assert "# no-keepalive = false" in example(parser)
    assert "# later-file =   (a string; unset by default)" in example(parser)


def test_the_example_is_valid_toml_apart_from_unset_placeholders() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert tomllib.loads(text) == {}  # every line commented out: it sets nothing
