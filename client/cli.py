"""``riscade connect ws://HOST:PORT``: join a server, follow its game, show it.

The text view (``client.view``) draws the arena once a second with the player's HUD lines, the
scoreboard and labels, shows each sound as ``[sound N]``, and prints every chat line the
player sees:
``<2> hi`` from player 2, ``[greeter] ...`` from a mod to everyone, ``[greeter to you] ...``
from a mod to this player alone. ``--headless`` prints only the JSON summary, which counts
the chat lines (``chat_lines``) and lists the last ones (``chat``).

How it ended is the exit status and, if not as asked, one line on stderr: 0 after
``--ticks`` ticks (or, without ``--ticks``, when the server shuts down) and no desync; 3 with
a desync; 4 when the game ended early (the server's ``Bye`` code and reason, or "connection
lost"); 1 when we could not join at all. Never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from game.errors import GameError
from game.presentation import presentation_state
from lockstep.errors import LockstepError
from lockstep.follower import ChatLine, Follower
from protocol import LocalMisuse, ProtocolError
from server.identity import SecretError, read_secret
from vm.errors import VMError

from .cache import default_cache_dir
from .session import ClientError, ClientOptions, GameEnded, play
from .view import render, sound_lines

__all__ = ["main", "EXIT_OK", "EXIT_ERROR", "EXIT_DESYNC", "EXIT_ENDED"]

#: Exit statuses: the game went as asked with no desync; we could not join or had to leave
#: (refused, bad mod, protocol error, no connection); we played but saw a desync; the game
#: ended before we were done (the server said goodbye, or the connection was lost).
EXIT_OK, EXIT_ERROR, EXIT_DESYNC, EXIT_ENDED = 0, 1, 3, 4


def _render(follower: Follower) -> None:
    """Every tick its sounds; once a second (20 ticks/s) the view (``client.view``)."""
    shown = follower.ticks % 20 == 0
    if not (shown or follower.sim.world.look.sounds):
        return
    state = presentation_state(follower.sim)
    if state["sounds"]:
        print(" ".join(sound_lines(state)), flush=True)
    if shown:
        print("\n" + "\n".join(render(state, follower.player_id)), flush=True)


def _print_chat(line: ChatLine) -> None:
    print(line, flush=True)


def _print_notice(text: str) -> None:
    print(f"[server to you] {text}", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``riscade connect``."""
    p = argparse.ArgumentParser(prog="riscade connect", description=__doc__)
    p.add_argument("url", help="ws://HOST:PORT")
    p.add_argument("--cache", type=Path, default=None, help="mod cache directory")
    p.add_argument("--name", default="player")
    p.add_argument("--headless", action="store_true", help="no display; print a JSON summary")
    p.add_argument("--ticks", type=int, default=None, help="leave after N ticks")
    p.add_argument("--bot", action="store_true", help="play with seeded pseudo-random inputs")
    p.add_argument("--seed", type=int, default=1, help="the bot's seed")
    p.add_argument("--say", action="append", default=[], metavar="TEXT",
                   help="send this chat line once in the game (repeatable: one a tick)")
    p.add_argument("--reports", type=Path, default=Path("desync-reports"),
                   help="where desync reports are written")
    p.add_argument("--password-file", type=Path, default=None, metavar="FILE",
                   help="the server's password, in this file's first line")
    p.add_argument("--admin-token-file", type=Path, default=None, metavar="FILE",
                   help="the server's admin token, in this file's first line: admin "
                        "commands (/kick NAME, /ban NAME, /save, /reload MOD, /enable MOD) "
                        "in --say lines")
    p.add_argument("--new-player", action="store_true",
                   help="do not send the token kept for this server: join as a new player")
    opts = p.parse_args(argv)
    try:
        password = read_secret(opts.password_file, "password") if opts.password_file else ""
        admin_token = read_secret(opts.admin_token_file, "admin token") \
            if opts.admin_token_file else ""
    except SecretError as exc:
        p.error(str(exc))
    try:
        options = ClientOptions(
            url=opts.url, cache_dir=opts.cache or default_cache_dir(), name=opts.name,
            ticks=opts.ticks, bot_seed=opts.seed if opts.bot else None,
            report_dir=opts.reports, say=tuple(opts.say),
            on_tick=None if opts.headless else _render,
            on_chat=None if opts.headless else _print_chat,
            password=password, admin_token=admin_token, keep_token=not opts.new_player,
            on_notice=None if opts.headless else _print_notice,
        )
    except LocalMisuse as exc:
        p.error(f"--say: {exc}")
    try:
        summary = asyncio.run(play(options))
    except GameEnded as exc:
        if opts.headless and exc.summary:
            print(json.dumps(exc.summary, sort_keys=True))
        print(f"riscade connect: {exc}", file=sys.stderr)
        return EXIT_ENDED
    except ClientError as exc:
        print(f"riscade connect: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        print(f"riscade connect: cannot connect to {opts.url}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except (GameError, LockstepError, ProtocolError, VMError) as exc:  # what play did not wrap
        print(f"riscade connect: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return EXIT_ERROR
    print(json.dumps(summary, sort_keys=True))
    return EXIT_OK if summary.get("desyncs", 0) == 0 else EXIT_DESYNC


if __name__ == "__main__":
    sys.exit(main())
