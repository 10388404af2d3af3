"""Every limit the server applies to connections, in one record with its defaults and why.

The protocol's own limits (message sizes, players and chat lines in a tick, name and chat
lengths) are ``protocol.Limits``, shared with clients. What is here is the server's policy
at the I/O edge: admission, timeouts, buffers and rate limits. Rates are counted per tick of
the server, not per second: a player's allowance follows the game, and a server that falls
behind hands out less, which is what it needs then.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from .errors import PolicyError

__all__ = ["ServerPolicy", "DEFAULT_POLICY"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerPolicy:
    """The server's limits on connections, all keyword-only.

    Attributes:
        max_conns_per_address: open websockets from one IP address (any state). 8 lets a
            household or a small LAN party behind one NAT play, and makes 1,000 sockets from
            one host cost nothing. ``None``: no cap.
        handshake_timeout: seconds for a new connection to send its ``Hello``, and again
            from ``Welcome`` until ``Ready`` (the download of the mods). 30 s fits a slow
            link fetching a few MiB; a socket that says nothing is gone after that.
        ping_interval, ping_timeout: websocket keepalive (seconds): a peer that does not
            answer a ping within ``ping_timeout`` is dropped (close code 1011) and logged. A
            playing client that sends nothing is fine: it still answers pings. ``None``:
            off.
        close_timeout: seconds a peer has to answer our close before the connection is cut;
            a peer that stopped reading never answers, and ``stop`` should not wait long for
            it. 2 s (websockets' default is 10 s).
        outbox_messages: messages queued for one client before it counts as too slow and is
            dropped. 256 ticks are 12.8 s of the game at 20 ticks/s.
        blob_bytes_in_flight: bytes of mod blobs queued for one client at a time; the next
            blob is queued only when the client has taken the previous ones, so a thousand
            clients that say ``Hello`` and stop reading hold at most this much each. 1 MiB.
        input_rate, input_burst: ``Input`` messages a player may send per tick on average,
            and at once. Only the latest input of a tick counts, so 2 a tick is more than any
            hand or bot needs; 32 at once covers a client catching up after a stall.
        chat_rate, chat_burst: chat lines per tick on average (0.25: 5 lines a second at 20
            ticks/s) and at once (8: a pasted paragraph).
        chat_lines_per_player: a player's chat lines in one tick; more wait for nothing: they
            are dropped (and count against the rate all the same).
        chat_bytes_per_tick: UTF-8 bytes of all chat lines of one tick (the work of every
            mod's ``on_chat``, on the server and every client). 16 KiB is 32 full lines.
        desync_interval: ticks between two resynchronisation snapshots for one player; a
            claim made sooner is answered when the interval has passed (a snapshot costs the
            server a full state copy and compression).
        desync_burst: desync claims a player may make at once; the rate is two per
            ``desync_interval``. An honest client claims once and waits for its snapshot.
        origins: the ``Origin`` values a browser may connect from (exact, like
            ``"https://game.example"``; ``"*"`` for any). ``None``: the page's host must be the
            host the browser connected to (the ``Host`` header). Clients that send no
            ``Origin`` (not browsers) are always let in.
        wrong_secret_limit, wrong_secret_window, lockout_ticks: ``wrong_secret_limit``
            wrong passwords or admin tokens from one address (an IPv6 /64) within
            ``wrong_secret_window`` ticks lock that address out for ``lockout_ticks`` ticks:
            every ``Hello`` from it is refused, other addresses play on. 10 within 1,200
            ticks (a minute at 20 ticks/s) leave room for typos; 6,000 ticks is five
            minutes. ``None``: no lockout (the connection cap alone limits guessing).
        reload_lead: ticks between the tick announcing a hot reload and the tick it happens
            at: the time every client has to fetch the new mod (20: one second at 20
            ticks/s; a client whose mod is late holds its ticks until it comes).
    """

    max_conns_per_address: int | None = 8
    handshake_timeout: float = 30.0
    ping_interval: float | None = 20.0
    ping_timeout: float | None = 20.0
    close_timeout: float = 2.0
    outbox_messages: int = 256
    blob_bytes_in_flight: int = 1 << 20
    input_rate: float = 2.0
    input_burst: int = 32
    chat_rate: float = 0.25
    chat_burst: int = 8
    chat_lines_per_player: int = 2
    chat_bytes_per_tick: int = 16 << 10
    desync_interval: int = 50
    desync_burst: int = 4
    origins: tuple[str, ...] | None = None
    reload_lead: int = 20
    wrong_secret_limit: int | None = 10
    wrong_secret_window: int = 1200
    lockout_ticks: int = 6000

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or f.name == "origins":
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise PolicyError(f.name, value)


#: The policy used when none is given.
DEFAULT_POLICY = ServerPolicy()
