"""Protocol version negotiation."""

from __future__ import annotations

import pytest

from protocol import PROTOCOL_VERSION, SUPPORTED_VERSIONS, negotiate


def test_this_is_version_3_only() -> None:
    # Version 2 added ModEntry.stack_limit; a version-1 peer would build other machines.
    # Version 3 added Tick.enables; a version-2 peer would not re-enable a mod and desync.
    assert PROTOCOL_VERSION == 4 and SUPPORTED_VERSIONS == (4,)


@pytest.mark.parametrize(
    ("client", "server", "chosen"),
    [
        ([1], [1], 1),
        ([1, 2, 3], [2, 3, 4], 3),
        ((3, 1, 2), (1, 2), 2),
        ([5], [1, 2], None),
        ([], [1], None),
        ([1], [], None),
        ([7, 7, 1], [1, 7], 7),
    ],
)
def test_negotiate_picks_the_highest_common_version(
    client: list[int], server: list[int], chosen: int | None
) -> None:
    assert negotiate(client, server) == chosen


def test_negotiate_defaults_to_what_this_code_speaks() -> None:
    assert negotiate([1, 2, 3, 4, 99]) == 4
    assert negotiate([1, 2, 3, 99]) is None
    assert negotiate([1]) is None
    assert negotiate([99]) is None
