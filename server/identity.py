"""Who a client is, without I/O: player tokens, slots kept through a disconnect, bans, and the
server's password and admin token.

A player's **token** (``Welcome.token``) is a bearer secret of 192 random bits
(``secrets.token_urlsafe``) handed out at the first join; it never enters the simulation or
its state hash. Only its SHA-256 is kept; ``Identities.to_state``/``from_state`` are what
the world file keeps (``server.persist``: the digests, the player ids, the grace deadlines
and the bans: nothing a thief could replay), and ``resume`` takes them over after a restart.

When a player who has joined disconnects (for any reason but a kick or a ban), the server
does not make it leave the game at once: ``detach`` keeps its slot, entity, name and score for
``grace_ticks`` ticks, idle. A ``Hello`` carrying the token within that time ``claim``s the
same player id back; after it, ``expired`` hands the player id to the server, which records
the leave, and the token is forgotten (a ``Hello`` with it is then a new player's).

The rules for a token that is not a detached player's, decided here and in ``server.app``:

- unknown (forged, mistyped, expired, from before a restart without a world file): the
  client is a new player, with a new token. A token cannot be guessed (192 bits), so this
  gives nothing away.
- a player's whose connection is still open: refused (``Code.TAKEN``). A token must not take
  over a connected player, even its owner's other window; the owner's old connection is
  noticed gone at the latest by the websocket keepalive (``ping_interval + ping_timeout``),
  after which the token works again.
- banned: refused (``Code.BANNED``), as is any ``Hello`` from a banned address.

A kept slot never keeps a new player out: when the server is full, the slot whose grace
period ends first goes to the newcomer (``oldest_detached``; its player becomes a new one if
it returns). Else one address could fill the server by joining and leaving in a loop.

Ticks, not seconds: the grace period follows the game's clock, as every server rule does.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from protocol import Code, Hello
from protocol.messages import MAX_SECRET

__all__ = ["Identities", "Credentials", "read_secret", "SecretError", "DEFAULT_GRACE_TICKS",
           "TOKEN_BYTES", "MIN_ADMIN_TOKEN"]

#: Ticks a disconnected player's slot is kept: 30 s at 20 ticks/s.
DEFAULT_GRACE_TICKS = 600
#: Random bytes in a player token (192 bits; 32 URL-safe characters).
TOKEN_BYTES = 24
#: Characters an admin token must have at least.
MIN_ADMIN_TOKEN = 16


_DIGEST = re.compile(r"[0-9a-f]{64}")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


@dataclass
class Identities:
    """Player tokens (by digest), detached players' deadlines, and bans.

    Args:
        grace_ticks: ticks a disconnected player's slot is kept (0: it leaves at once).
    """

    grace_ticks: int = DEFAULT_GRACE_TICKS
    _by_digest: dict[str, int] = field(default_factory=dict)  # token digest -> player id
    _digest_of: dict[int, str] = field(default_factory=dict)  # player id -> token digest
    _detached: dict[int, int] = field(default_factory=dict)  # player id -> last tick kept
    banned_addresses: set[str] = field(default_factory=set)
    banned_tokens: set[str] = field(default_factory=set)  # digests

    def __post_init__(self) -> None:
        if isinstance(self.grace_ticks, bool) or not isinstance(self.grace_ticks, int) \
                or self.grace_ticks < 0:
            raise ValueError(f"grace_ticks must be an int >= 0, got {self.grace_ticks!r}")

    def issue(self, pid: int) -> str:
        """A new token for player ``pid`` (which must not hold one): keep it, return it."""
        if pid in self._digest_of:
            raise ValueError(f"player {pid} already holds a token")
        token = secrets.token_urlsafe(TOKEN_BYTES)
        digest = _digest(token)
        self._by_digest[digest] = pid
        self._digest_of[pid] = digest
        return token

    def owner(self, token: str) -> int | None:
        """The player id ``token`` was issued to and still names, or ``None``."""
        if not token:
            return None
        return self._by_digest.get(_digest(token))

    def detached(self, pid: int) -> bool:
        """True while ``pid``'s slot is kept for it without a connection."""
        return pid in self._detached

    def detach(self, pid: int, tick: int) -> bool:
        """Player ``pid``, in the game, lost its connection after ``tick``: keep its slot
        until ``tick + grace_ticks``. False (nothing kept) if it holds no token or the grace
        period is 0: the caller makes it leave now."""
        if pid not in self._digest_of or self.grace_ticks == 0:
            self.forget(pid)
            return False
        self._detached[pid] = tick + self.grace_ticks
        return True

    def attach(self, pid: int) -> None:
        """A connection plays as detached player ``pid`` again: its slot is no longer timed."""
        self._detached.pop(pid, None)

    def oldest_detached(self) -> int | None:
        """The detached player whose grace period ends first (lowest id among equals), or
        ``None``: the one whose slot a new player gets when the server is full."""
        if not self._detached:
            return None
        return min(self._detached, key=lambda pid: (self._detached[pid], pid))

    def expired(self, tick: int) -> list[int]:
        """The detached players whose grace period ends with ``tick`` (ascending; their
        tokens forgotten): the caller makes them leave."""
        gone = sorted(pid for pid, last in self._detached.items() if last <= tick)
        for pid in gone:
            self.forget(pid)
        return gone

    def forget(self, pid: int) -> None:
        """Player ``pid`` left for good: its token names nobody any more."""
        self._detached.pop(pid, None)
        digest = self._digest_of.pop(pid, None)
        if digest is not None:
            del self._by_digest[digest]

    def ban(self, pid: int, address: str | None) -> None:
        """Ban player ``pid``'s token and ``address`` for the server's life (the caller makes
        the player leave)."""
        digest = self._digest_of.get(pid)
        if digest is not None:
            self.banned_tokens.add(digest)
        if address:
            self.banned_addresses.add(address)
        self.forget(pid)

    def banned(self, address: str, token: str) -> bool:
        """True if ``address`` or ``token`` is banned."""
        return address in self.banned_addresses or \
            bool(token) and _digest(token) in self.banned_tokens

    def to_state(self) -> dict[str, Any]:
        """What a world store keeps (JSON-ready, canonical): token digests by player id,
        detached players' last ticks, bans. No raw token is in it."""
        return {"grace_ticks": self.grace_ticks,
                "tokens": sorted([pid, d] for pid, d in self._digest_of.items()),
                "detached": sorted([pid, t] for pid, t in self._detached.items()),
                "banned_addresses": sorted(self.banned_addresses),
                "banned_tokens": sorted(self.banned_tokens)}

    @classmethod
    def from_state(cls, doc: Any) -> Identities:
        """Inverse of ``to_state``; ValueError on anything else."""
        try:
            ids = cls(doc["grace_ticks"])
            for pid, digest in doc["tokens"]:
                if type(pid) is not int or not _DIGEST.fullmatch(digest) or \
                        pid in ids._digest_of or digest in ids._by_digest:
                    raise ValueError("bad token entry")
                ids._digest_of[pid], ids._by_digest[digest] = digest, pid
            for pid, last in doc["detached"]:
                if pid not in ids._digest_of or type(last) is not int:
                    raise ValueError("bad detached entry")
                ids._detached[pid] = last
            ids.banned_addresses = {str(a) for a in doc["banned_addresses"]}
            ids.banned_tokens = {d for d in doc["banned_tokens"] if _DIGEST.fullmatch(d)}
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not an identities state: {exc}") from None
        return ids

    def resume(self, saved: Identities, players: Iterable[int], tick: int) -> list[int]:
        """Take over ``saved`` (a world file's, ``from_state``) at a restart at ``tick``: its
        bans all, and the tokens of ``players`` (those in the resumed world; a token of a
        player who had not joined yet names nobody). Each of these players is detached, held
        for a whole grace period of this server counted from ``tick``: the time the server
        was down is not ticks, and nobody could come back while it was. Returns them
        (ascending); the caller makes the others leave. With a grace period of 0 none is
        held."""
        self.banned_addresses |= saved.banned_addresses
        self.banned_tokens |= saved.banned_tokens
        held = []
        for pid in sorted(set(players)):
            digest = saved._digest_of.get(pid)
            if digest is None or self.grace_ticks == 0 or pid in self._digest_of \
                    or digest in self._by_digest or digest in self.banned_tokens:
                continue
            self._digest_of[pid], self._by_digest[digest] = digest, pid
            self._detached[pid] = tick + self.grace_ticks
            held.append(pid)
        return held

    @property
    def tokens(self) -> int:
        """Tokens held (players in the game or detached)."""
        return len(self._by_digest)


class SecretError(ValueError):
    """A secret file (password, admin token) that cannot be used; the message says why."""


def read_secret(path: Path, what: str) -> str:
    """The secret in the file at ``path``: its first line, without the line break.

    Raises:
        SecretError: the file cannot be read, or its first line is empty, longer than
            ``MAX_SECRET`` characters or has control characters.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretError(f"cannot read the {what} file {path}: "
                          f"{getattr(exc, 'strerror', None) or exc}") from None
    line = text.split("\n", 1)[0].rstrip("\r")
    if not line:
        raise SecretError(f"the {what} file {path} has an empty first line")
    if len(line) > MAX_SECRET or any(ord(c) < 32 or 127 <= ord(c) < 160 for c in line):
        raise SecretError(f"the {what} in {path} is over {MAX_SECRET} characters or has "
                          "control characters")
    return line


def _same(given: str, expected: str) -> bool:
    """Constant-time comparison of two secrets: of their SHA-256s, so neither the content
    nor the length of ``expected`` shows in the time taken."""
    return hmac.compare_digest(hashlib.sha256(given.encode("utf-8", "replace")).digest(),
                               hashlib.sha256(expected.encode("utf-8", "replace")).digest())


@dataclass(frozen=True)
class Credentials:
    """The server's password and admin token (``None``: it has none).

    Raises:
        SecretError: an admin token that is not 16-64 printable ASCII characters without
            spaces (what a ``Hello`` can carry).
    """

    password: str | None = None
    admin_token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        token = self.admin_token
        if token is not None and not (MIN_ADMIN_TOKEN <= len(token) <= 64
                                      and all("!" <= c <= "~" for c in token)):
            raise SecretError(f"an admin token is {MIN_ADMIN_TOKEN}-64 printable ASCII "
                              "characters without spaces")

    def __repr__(self) -> str:
        return (f"Credentials(password={'***' if self.password else None}, "
                f"admin_token={'***' if self.admin_token else None})")

    def check(self, hello: Hello) -> bool | tuple[Code, str]:
        """Whether ``hello`` may come in: True as an admin, False as a player, or why not
        (``Code.PASSWORD``: a wrong or missing password, an admin token that is not this
        server's). Both secrets are always compared, in constant time."""
        password_ok = self.password is None or _same(hello.password, self.password)
        admin = bool(hello.admin_token) and self.admin_token is not None and \
            _same(hello.admin_token, self.admin_token)
        if not password_ok:
            return Code.PASSWORD, ("this server needs a password" if not hello.password
                                   else "wrong password")
        if hello.admin_token and not admin:
            return Code.PASSWORD, "wrong admin token"
        return admin
