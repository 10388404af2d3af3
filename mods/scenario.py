"""Scenario files: what ``riscade test`` plays against a mod, and what it expects to see.

A scenario is a TOML file in a mod's ``scenarios/`` folder. It says which players join and
leave at which ticks, which buttons they hold and which chat lines they type, and what must
be true at given ticks: chat lines, log lines, entities and their fields, faults, a state
hash. ``mods/README.md`` ("Scenario tests") documents the format; ``mods.testrunner`` plays
it. ``load_scenario`` parses and checks a file whole: every problem is reported at once, each
with the line it is on (``ScenarioError``), and every count and number is bounded, so a
hostile file costs a bounded amount of work.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from game.rules import MOD_CHAT_LENGTH
from mods.host_api import CONSTANTS, constant
from protocol.limits import DEFAULT_LIMITS

from .errors import ModError
from .manifest import NAME_RE, SCENARIO_DIR  # a mod's scenarios: <mod>/SCENARIO_DIR/*.toml

__all__ = [
    "Scenario", "ScenarioError", "Player", "Input", "Chat", "Expect", "Range", "EntitySelector",
    "load_scenario", "scenario_files", "SCENARIO_DIR", "MAX_TICKS", "MAX_FILE_BYTES",
    "MAX_ENTRIES", "MAX_INPUT_TICKS", "BUTTONS", "ENTITY_FIELDS",
]

#: The most ticks a scenario may run (at 20 ticks a second: over 16 minutes of game).
MAX_TICKS = 20_000
#: The largest scenario file read.
MAX_FILE_BYTES = 1 << 20
#: The most [[player]], [[input]], [[chat]] and [[expect]] tables together.
MAX_ENTRIES = 10_000
#: The most (player, tick) inputs all [[input]] ranges together expand to.
MAX_INPUT_TICKS = 200_000
#: Player ids a scenario may use: 1..MAX_PLAYER_ID.
MAX_PLAYER_ID = 1 << 16
#: Joins and leaves of one player.
MAX_VISITS = 64
#: Characters of an expected text (a chat line, a log line, a fault reason).
MAX_EXPECTED_TEXT = 4 * MOD_CHAT_LENGTH
#: Button names, lowercase, and their bits (the SDK's BUTTON_* constants).
BUTTONS = {c.name.removeprefix("BUTTON_").lower(): c.value
           for c in CONSTANTS if c.name.startswith("BUTTON_")}
#: Entity kinds a scenario may name (the SDK's KIND_* constants but KIND_ANY and the base);
#: any other name is a kind a mod registered (``kind_register``), looked up when checked.
KIND_NAMES = {c.name.removeprefix("KIND_").lower(): c.value for c in CONSTANTS
              if c.name.startswith("KIND_") and c.name not in ("KIND_ANY", "KIND_MOD_BASE")}
#: An entity's fields an expectation may check.
ENTITY_FIELDS = ("kind", "x", "y", "vx", "vy", "health", "score", "owner")
_INT64 = (-(1 << 63), (1 << 63) - 1)
_HEX64 = re.compile(r"[0-9a-f]{64}")
_ALL = constant("ALL_PLAYERS")


class ScenarioError(ModError, ValueError):
    """A scenario file that cannot be played: ``problems`` are ``(line, text)`` pairs (line 0
    when no line applies), the message lists them as ``path:line: text``."""

    def __init__(self, path: Path, problems: list[tuple[int, str]]) -> None:
        self.path = path
        self.problems = problems
        super().__init__("\n".join(f"{path}:{line}: {text}" if line else f"{path}: {text}"
                                   for line, text in problems))


@dataclass(frozen=True)
class Range:
    """An expected integer: ``low <= value <= high`` (equal bounds: exactly that value)."""

    low: int
    high: int

    def holds(self, value: int) -> bool:
        return self.low <= value <= self.high

    def __str__(self) -> str:
        return str(self.low) if self.low == self.high else f"{self.low}..{self.high}"


@dataclass(frozen=True)
class Player:
    """A player and the ticks it joins and leaves (alternating, join first)."""

    id: int
    name: str
    joins: tuple[int, ...]
    leaves: tuple[int, ...]


@dataclass(frozen=True)
class Input:
    """``player`` holds ``buttons`` in every tick of ``first..last``."""

    first: int
    last: int
    player: int
    buttons: int


@dataclass(frozen=True)
class Chat:
    """``player`` types ``text`` in ``tick``."""

    tick: int
    player: int
    text: str


@dataclass(frozen=True)
class EntitySelector:
    """Which entities an expectation is about: a player's entity, one id, or every entity
    of a kind (a number, a ``KIND_NAMES`` name or a name a mod registered)."""

    player: int | None = None
    id: int | None = None
    kind: int | str | None = None

    def __str__(self) -> str:
        if self.player is not None:
            return f"the entity of player {self.player}"
        if self.id is not None:
            return f"entity {self.id}"
        return f"entities of kind {self.kind!r}"


@dataclass(frozen=True)
class Expect:
    """One expectation at ``tick`` (after that tick; 0 is after start-up), from ``line``.

    ``what`` is "chat", "log", "entity", "fault" or "hash"; the other fields are those of
    that kind (see mods/README.md, "Scenario tests").
    """

    tick: int
    line: int
    what: str
    text: str | None = None
    contains: bool = False
    absent: bool = False
    to: int | None = None  # chat: a player id or ALL_PLAYERS
    source: str | None = None  # chat: the mod that sent it ("game": the game); log: the mod
    entity: EntitySelector | None = None
    count: Range | None = None
    fields: tuple[tuple[str, Range | int | str], ...] = ()
    props: tuple[tuple[str, Range], ...] = ()
    mod: str | None = None  # fault: the mod
    hook: str | None = None
    disabled: bool | None = None
    digest: str | None = None
    keys: tuple[tuple[str, int], ...] = ()  # the line of each key of the table

    def at(self, key: str) -> int:
        """The line of ``key`` in this expectation's table (its header's if not there)."""
        return next((n for k, n in self.keys if k == key), self.line)


@dataclass(frozen=True)
class Scenario:
    """A parsed, checked scenario file."""

    path: Path
    description: str
    seed: int
    ticks: int
    mods: tuple[str, ...]
    players: tuple[Player, ...]
    inputs: tuple[Input, ...]
    chats: tuple[Chat, ...]
    expects: tuple[Expect, ...] = field(default=())

    @property
    def name(self) -> str:
        return self.path.stem


def scenario_files(mod_dir: Path) -> list[Path]:
    """A mod's scenario files, sorted by name."""
    return sorted(p for p in (Path(mod_dir) / SCENARIO_DIR).glob("*.toml") if p.is_file())


class _Lines:
    """Where things are in the file's text: tomllib keeps no positions, so the line of the
    n-th ``[[table]]`` header and of a key after it are found by scanning the text (an
    inline array of tables points at the key that holds it)."""

    _HEADER = re.compile(r"\s*\[\[\s*([A-Za-z0-9_-]+)\s*\]\]")
    _KEY = re.compile(r"\s*([A-Za-z0-9_-]+)\s*=")

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers: dict[str, list[int]] = {}
        self.top_end = len(self.lines)
        for number, line in enumerate(self.lines, 1):
            match = self._HEADER.match(line)
            if match:
                self.headers.setdefault(match.group(1), []).append(number)
            if line.lstrip().startswith("[") and self.top_end == len(self.lines):
                self.top_end = number - 1

    def table(self, name: str, index: int) -> int:
        found = self.headers.get(name, [])
        return found[index] if index < len(found) else self.key(None, name)

    def key(self, start: int | None, key: str) -> int:
        """Line of ``key = `` in the table whose header is on line ``start`` (None: the top
        level), or the header's line (0 at top level) when not found."""
        first, last = (1, self.top_end) if start is None else (start + 1, len(self.lines))
        for number in range(first, last + 1):
            line = self.lines[number - 1]
            if start is not None and line.lstrip().startswith("["):
                break
            match = self._KEY.match(line)
            if match and match.group(1) == key:
                return number
        return start or 0


class _Checker:
    """Reads values out of the parsed document, collecting problems with their lines."""

    def __init__(self, lines: _Lines) -> None:
        self.lines = lines
        self.problems: list[tuple[int, str]] = []

    def fail(self, line: int, text: str) -> None:
        if len(self.problems) < 50:
            self.problems.append((line, text))

    def integer(self, table: dict[str, Any], key: str, line: int, low: int, high: int,
                default: int | None = None) -> int | None:
        value = table.get(key, default)
        if value is None:
            self.fail(line, f"missing {key!r}")
            return None
        if type(value) is not int or not low <= value <= high:
            self.fail(line, f"{key!r} must be an integer in {low}..{high}, not {_short(value)}")
            return None
        return value

    def text(self, table: dict[str, Any], key: str, line: int, most: int) -> str | None:
        value = table.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or len(value) > most:
            self.fail(line, f"{key!r} must be a string of at most {most} characters")
            return None
        return value

    def unknown(self, table: dict[str, Any], known: set[str], line: int, what: str) -> None:
        extra = sorted(set(table) - known)
        if extra:
            self.fail(line, f"unknown key(s) in {what}: {', '.join(map(_short, extra))} "
                            f"(known: {', '.join(sorted(known))})")

    def tables(self, doc: dict[str, Any], name: str) -> list[tuple[int, dict[str, Any]]]:
        value = doc.get(name, [])
        if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
            self.fail(self.lines.key(None, name), f"{name!r} must be an array of tables "
                                                  f"([[{name}]])")
            return []
        return [(self.lines.table(name, i), t) for i, t in enumerate(value)]

    def expected_range(self, value: Any, line: int, what: str) -> Range | None:
        """An int, or ``{ min = A, max = B }`` (either bound may be left out)."""
        if type(value) is int and _INT64[0] <= value <= _INT64[1]:
            return Range(value, value)
        if isinstance(value, dict) and value and set(value) <= {"min", "max"}:
            low, high = value.get("min", _INT64[0]), value.get("max", _INT64[1])
            if type(low) is int and type(high) is int and _INT64[0] <= low <= high <= _INT64[1]:
                return Range(low, high)
        self.fail(line, f"{what} must be a 64-bit integer or {{ min = A, max = B }} with "
                        f"A <= B, not {_short(value)}")
        return None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def load_scenario(path: Path) -> Scenario:
    """Parse and check the scenario file at ``path``.

    Raises:
        ScenarioError: the file cannot be read, is not TOML, or breaks a rule of the format;
            it lists every problem found with its line.
    """
    path = Path(path)
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(path, [(0, f"cannot read: {exc.strerror or exc}")]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(path, [(0, f"larger than {MAX_FILE_BYTES} bytes")])
    try:
        text = raw.decode("utf-8")
        doc = tomllib.loads(text)
    except UnicodeDecodeError:
        raise ScenarioError(path, [(0, "not UTF-8 text")]) from None
    except RecursionError:  # arrays or tables nested thousands deep
        raise ScenarioError(path, [(0, "not valid TOML: nested too deeply")]) from None
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+)", str(exc))
        raise ScenarioError(path, [(int(match.group(1)) if match else 0,
                                    f"not valid TOML: {exc}")]) from None
    return _parse(path, doc, _Lines(text))


def _parse(path: Path, doc: dict[str, Any], lines: _Lines) -> Scenario:
    c = _Checker(lines)
    top = {"description", "seed", "ticks", "mods", "player", "input", "chat", "expect"}
    c.unknown(doc, top, 0, "the scenario")
    description = c.text(doc, "description", lines.key(None, "description"), 500) or ""
    seed = c.integer(doc, "seed", lines.key(None, "seed"), 0, _INT64[1], default=1) or 0
    mods = doc.get("mods", [])
    if not isinstance(mods, list) or not all(isinstance(m, str) and NAME_RE.fullmatch(m)
                                             for m in mods) or len(mods) > 64:
        c.fail(lines.key(None, "mods"), "'mods' must be a list of at most 64 mod names")
        mods = []
    sections = {name: c.tables(doc, name) for name in ("player", "input", "chat", "expect")}
    if sum(len(t) for t in sections.values()) > MAX_ENTRIES:
        raise ScenarioError(path, [(0, f"more than {MAX_ENTRIES} [[player]], [[input]], "
                                       "[[chat]] and [[expect]] tables")])
    ticks = MAX_TICKS
    if "ticks" in doc:
        ticks = c.integer(doc, "ticks", lines.key(None, "ticks"), 1, MAX_TICKS) or MAX_TICKS
    players = _players(c, sections["player"], ticks)
    known = {p.id for p in players}
    inputs = _inputs(c, sections["input"], ticks, known)
    chats = _chats(c, sections["chat"], ticks, known)
    expects = []
    for line, t in sections["expect"]:
        e = _expect(c, line, t, ticks)
        if e is not None:
            expects.append(replace(e, keys=tuple((k, lines.key(line, k)) for k in t)))
    if "ticks" not in doc:  # the last tick anything happens or is checked in
        ticks = max([1, *(j for p in players for j in p.joins + p.leaves),
                     *(i.last for i in inputs), *(ch.tick for ch in chats),
                     *(e.tick for e in expects)])
    if c.problems:
        raise ScenarioError(path, c.problems)
    return Scenario(path, description, seed, ticks, tuple(mods), players, inputs, chats,
                    tuple(sorted(expects, key=lambda e: e.tick)))


def _ticks_of(c: _Checker, value: Any, line: int, key: str, ticks: int) -> tuple[int, ...]:
    items = value if isinstance(value, list) else [value]
    if len(items) > MAX_VISITS:
        c.fail(line, f"{key!r} lists more than {MAX_VISITS} ticks")
        return ()
    found = []
    for item in items:
        if type(item) is not int or not 1 <= item <= ticks:
            c.fail(line, f"{key!r} must be a tick in 1..{ticks} (or a list of them), "
                         f"not {_short(item)}")
            return ()
        found.append(item)
    return tuple(found)


def _players(c: _Checker, tables: list[tuple[int, dict[str, Any]]],
             ticks: int) -> tuple[Player, ...]:
    if len(tables) > DEFAULT_LIMITS.max_players:
        c.fail(tables[0][0], f"more than {DEFAULT_LIMITS.max_players} players")
        return ()
    players: dict[int, Player] = {}
    for line, t in tables:
        c.unknown(t, {"id", "name", "join", "leave"}, line, "[[player]]")
        pid = c.integer(t, "id", c.lines.key(line, "id"), 1, MAX_PLAYER_ID)
        name = c.text(t, "name", c.lines.key(line, "name"), DEFAULT_LIMITS.max_name_length)
        joins = _ticks_of(c, t.get("join", 1), c.lines.key(line, "join"), "join", ticks)
        leaves = _ticks_of(c, t.get("leave", []), c.lines.key(line, "leave"), "leave", ticks)
        if name is not None and not (name.strip() and name.isprintable()):
            c.fail(c.lines.key(line, "name"), "'name' must be printable, not blank")
        if pid is None:
            continue
        if pid in players:
            c.fail(line, f"player {pid} is listed twice (give one table its joins and leaves)")
            continue
        events = sorted([(j, "join") for j in joins] + [(s, "leave") for s in leaves])
        order = [kind for _, kind in events]
        if order != ["join", "leave"] * (len(order) // 2) + ["join"] * (len(order) % 2) or \
                len({tick for tick, _ in events}) != len(events):
            c.fail(c.lines.key(line, "leave" if "leave" in t else "join"),
                   f"player {pid}: joins and leaves must alternate, a join first, at distinct "
                   "ticks")
        players[pid] = Player(pid, name or f"player{pid}", joins, leaves)
    return tuple(players[pid] for pid in sorted(players))


def _buttons(c: _Checker, value: Any, line: int) -> int | None:
    if type(value) is int and 0 <= value < 1 << 32:
        return value
    if isinstance(value, list) and all(isinstance(v, str) and v in BUTTONS for v in value):
        bits = 0
        for v in value:
            bits |= BUTTONS[v]
        return bits
    c.fail(line, f"'buttons' must be an integer in 0..2^32-1 or a list of "
                 f"{', '.join(BUTTONS)}; not {_short(value)}")
    return None


def _player_of(c: _Checker, t: dict[str, Any], line: int, known: set[int]) -> int | None:
    pid = c.integer(t, "player", c.lines.key(line, "player"), 1, MAX_PLAYER_ID)
    if pid is not None and pid not in known:
        c.fail(c.lines.key(line, "player"), f"player {pid} has no [[player]] table")
        return None
    return pid


def _inputs(c: _Checker, tables: list[tuple[int, dict[str, Any]]], ticks: int,
            known: set[int]) -> tuple[Input, ...]:
    found, expanded = [], 0
    for line, t in tables:
        c.unknown(t, {"tick", "ticks", "player", "buttons"}, line, "[[input]]")
        pid = _player_of(c, t, line, known)
        buttons = _buttons(c, t.get("buttons", 0), c.lines.key(line, "buttons"))
        if ("tick" in t) == ("ticks" in t):
            c.fail(line, "[[input]] needs 'tick = T' or 'ticks = [FIRST, LAST]', one of them")
            continue
        if "tick" in t:
            first = last = c.integer(t, "tick", c.lines.key(line, "tick"), 1, ticks)
        else:
            pair = t["ticks"]
            ok = isinstance(pair, list) and len(pair) == 2 and all(
                type(v) is int and 1 <= v <= ticks for v in pair) and pair[0] <= pair[1]
            if not ok:
                c.fail(c.lines.key(line, "ticks"), f"'ticks' must be [FIRST, LAST] with "
                                                   f"1 <= FIRST <= LAST <= {ticks}")
                continue
            first, last = pair
        if pid is None or buttons is None or first is None or last is None:
            continue
        expanded += last - first + 1
        if expanded > MAX_INPUT_TICKS:
            c.fail(line, f"the inputs add up to more than {MAX_INPUT_TICKS} player-ticks")
            break
        found.append(Input(first, last, pid, buttons))
    return tuple(found)


def _chats(c: _Checker, tables: list[tuple[int, dict[str, Any]]], ticks: int,
           known: set[int]) -> tuple[Chat, ...]:
    found: list[Chat] = []
    per_tick: dict[int, int] = {}
    for line, t in tables:
        c.unknown(t, {"tick", "player", "text"}, line, "[[chat]]")
        pid = _player_of(c, t, line, known)
        tick = c.integer(t, "tick", c.lines.key(line, "tick"), 1, ticks)
        text = c.text(t, "text", c.lines.key(line, "text"), DEFAULT_LIMITS.max_chat_length)
        if "text" not in t:
            c.fail(line, "[[chat]] needs 'text'")
        if pid is None or tick is None or text is None:
            continue
        per_tick[tick] = per_tick.get(tick, 0) + 1
        if per_tick[tick] > DEFAULT_LIMITS.max_chats_per_tick:
            c.fail(line, f"more than {DEFAULT_LIMITS.max_chats_per_tick} chat lines in tick "
                         f"{tick}")
            continue
        found.append(Chat(tick, pid, text))
    return tuple(found)


_WHAT = {
    "chat": {"chat", "chat_contains", "to", "from", "absent"},
    "log": {"log", "log_contains", "mod", "absent"},
    "entity": {"entity", "count", "props", *ENTITY_FIELDS},
    "fault": {"fault", "reason", "hook", "disabled"},
    "hash": {"hash"},
}
_TRIGGERS = {"chat": "chat", "chat_contains": "chat", "log": "log", "log_contains": "log",
             "entity": "entity", "fault": "fault", "hash": "hash"}


def _expect(c: _Checker, line: int, t: dict[str, Any], ticks: int) -> Expect | None:
    tick = c.integer(t, "tick", c.lines.key(line, "tick"), 0, ticks)
    kinds = sorted({_TRIGGERS[k] for k in t if k in _TRIGGERS})
    if len(kinds) != 1 or ("chat" in t and "chat_contains" in t) or \
            ("log" in t and "log_contains" in t):
        c.fail(line, "[[expect]] needs exactly one of chat, chat_contains, log, log_contains, "
                     "entity, fault, hash")
        return None
    what = kinds[0]
    c.unknown(t, _WHAT[what] | {"tick"}, line, f"a {what} [[expect]]")
    absent = t.get("absent", False)
    if not isinstance(absent, bool):
        c.fail(c.lines.key(line, "absent"), "'absent' must be true or false")
    if tick is None:
        return None
    key = c.lines.key
    if what in ("chat", "log"):
        contains = f"{what}_contains" in t
        text = c.text(t, f"{what}_contains" if contains else what,
                      key(line, f"{what}_contains" if contains else what), MAX_EXPECTED_TEXT)
        if text is None:
            return None
        if what == "chat":
            to = t.get("to")
            if to == "all":
                to = _ALL
            elif to is not None and (type(to) is not int or not 1 <= to <= MAX_PLAYER_ID):
                c.fail(key(line, "to"), f"'to' must be a player id or \"all\", not {_short(to)}")
                return None
            source = c.text(t, "from", key(line, "from"), 32)
        else:
            to, source = None, c.text(t, "mod", key(line, "mod"), 32)
        return Expect(tick, line, what, text=text, contains=contains, absent=absent is True,
                      to=to, source=source)
    if what == "hash":
        digest = t["hash"]
        if not isinstance(digest, str) or not _HEX64.fullmatch(digest):
            c.fail(key(line, "hash"), "'hash' must be 64 lowercase hex digits")
            return None
        return Expect(tick, line, what, digest=digest)
    if what == "fault":
        mod = t["fault"]
        if not isinstance(mod, str) or not NAME_RE.fullmatch(mod):
            c.fail(key(line, "fault"), f"'fault' must be a mod name, not {_short(mod)}")
            return None
        disabled = t.get("disabled")
        if disabled is not None and not isinstance(disabled, bool):
            c.fail(key(line, "disabled"), "'disabled' must be true or false")
            return None
        return Expect(tick, line, what, mod=mod, text=c.text(t, "reason", key(line, "reason"),
                                                             MAX_EXPECTED_TEXT),
                      hook=c.text(t, "hook", key(line, "hook"), 32), disabled=disabled)
    return _entity_expect(c, line, t, tick)


def _entity_expect(c: _Checker, line: int, t: dict[str, Any], tick: int) -> Expect | None:
    key = c.lines.key
    sel = t["entity"]
    if not isinstance(sel, dict) or len(sel) != 1 or not set(sel) <= {"player", "id", "kind"}:
        c.fail(key(line, "entity"), "'entity' must be { player = P }, { id = N } or "
                                    "{ kind = K }")
        return None
    (how, value), = sel.items()
    if how == "kind":
        ok = (type(value) is int and 0 < value <= _INT64[1]) or (
            isinstance(value, str) and 0 < len(value) <= 32)
        if not ok:
            c.fail(key(line, "entity"), f"kind must be a number or a name, not {_short(value)}")
            return None
        selector = EntitySelector(kind=value)
    elif type(value) is not int or not 1 <= value <= _INT64[1]:
        c.fail(key(line, "entity"), f"{how} must be a positive integer, not {_short(value)}")
        return None
    else:
        selector = EntitySelector(**{how: value})
    count = None
    if "count" in t:
        count = c.expected_range(t["count"], key(line, "count"), "'count'")
    fields: list[tuple[str, Range | int | str]] = []
    for name in ENTITY_FIELDS:
        if name not in t:
            continue
        if name == "kind" and isinstance(t[name], str) and 0 < len(t[name]) <= 32:
            fields.append((name, t[name]))
            continue
        expected = c.expected_range(t[name], key(line, name), repr(name))
        if expected is not None:
            fields.append((name, expected))
    props: list[tuple[str, Range]] = []
    table = t.get("props", {})
    if not isinstance(table, dict) or len(table) > 64:
        c.fail(key(line, "props"), "'props' must be a table of at most 64 { name = value }")
    else:
        for name, value in sorted(table.items()):
            expected = c.expected_range(value, key(line, "props"), f"props.{name}")
            if expected is not None:
                props.append((name, expected))
    if not ({"count", "props", *ENTITY_FIELDS} & set(t)):
        c.fail(line, "an entity [[expect]] checks nothing: give count, fields or props")
        return None
    return Expect(tick, line, "entity", entity=selector, count=count, fields=tuple(fields),
                  props=tuple(props))
