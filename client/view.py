"""The text view of ``riscade connect``: ``game.presentation_state`` drawn as lines of text.

Pure functions from plain data to strings (no terminal, no clock), so what a player sees is
tested without a server. The arena is a grid of characters, one per kind's shape; then this
player's HUD lines, the scoreboard, a legend of kinds and entity labels. Sounds are shown as
``[sound N]`` (a terminal bell would be lost in logs and annoys). Every string a mod chose
goes through ``game.text.printable``.
"""

from __future__ import annotations

from typing import Any

from game.text import printable
from mods.host_api import constant

__all__ = ["render", "sound_lines", "COLS", "ROWS", "LABELS_SHOWN"]

COLS, ROWS = 48, 16
#: Entity labels listed under the arena (the rest are counted).
LABELS_SHOWN = 8
_SHAPE_CHAR = {constant("SHAPE_CIRCLE"): "o", constant("SHAPE_SQUARE"): "#",
               constant("SHAPE_TRIANGLE"): "^", constant("SHAPE_DIAMOND"): "+"}
_DEFAULT_CHAR = {constant("KIND_PLAYER"): "@", constant("KIND_COIN"): "o"}


def _cell(value: int, extent: int, cells: int) -> int:
    return min(cells - 1, max(0, value * cells // max(1, extent)))


def render(state: dict[str, Any], player: int | None = None) -> list[str]:
    """The view of ``state`` (``presentation_state``) for ``player`` (None: a spectator,
    who sees no HUD): a header, the arena, HUD lines, scoreboard, legend and labels."""
    shapes = {k["kind"]: _SHAPE_CHAR.get(k["shape"]) for k in state["kinds"]}
    grid = [["."] * COLS for _ in range(ROWS)]
    for e in state["entities"]:
        char = shapes.get(e["kind"]) or _DEFAULT_CHAR.get(e["kind"], "*")
        grid[_cell(e["y"], state["height"], ROWS)][_cell(e["x"], state["width"], COLS)] = char
    lines = [f"tick {state['tick']}", *("".join(row) for row in grid)]
    for hud in state["hud"]:
        if hud["player"] == player:
            lines += [f"| {printable(text, 80)}" for text in hud["lines"]]
    board = state["scoreboard"]
    if board is not None:
        rows = ", ".join(f"p{r['player']} {r['score']}" for r in board["rows"])
        lines.append(f"{printable(board['title'], 40)}: {rows or 'nobody'}")
    legend = [f"{shapes.get(k['kind']) or '?'} {printable(k['label'], 40)}"
              for k in state["kinds"] if k["label"]]
    if legend:
        lines.append("kinds: " + ", ".join(legend))
    labelled = [e for e in state["entities"] if e["label"]]
    if labelled:
        shown = [f"{printable(e['label'], 40)} ({_cell(e['x'], state['width'], COLS)},"
                 f"{_cell(e['y'], state['height'], ROWS)})" for e in labelled[:LABELS_SHOWN]]
        more = len(labelled) - LABELS_SHOWN
        lines.append("labels: " + ", ".join(shown) + (f" and {more} more" if more > 0 else ""))
    return lines


def sound_lines(state: dict[str, Any]) -> list[str]:
    """``[sound N]`` for each sound of the state's tick, in the order played."""
    return [f"[sound {s['sound']}]" for s in state["sounds"]]
