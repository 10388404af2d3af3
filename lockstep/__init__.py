"""The lockstep core shared by the server and every client, without I/O.

It sits between ``protocol`` (messages, which know nothing of the game) and ``game`` (the
simulation, which knows nothing of messages), and decides what neither shell should:

- ``lockstep.wire``: the one mapping between wire messages and the simulation's types
  (``Tick`` and ``TickInputs``, ``ModEntry`` and ``ModImage``).
- ``lockstep.hello``: whether a client's ``Hello`` can join (versions and ABIs).
- ``lockstep.room``: the authoritative room: players, inputs and chat accepted within every
  limit of a tick, ticks closed.
- ``lockstep.policy``: every limit a server applies to connections (``ServerPolicy``).
- ``lockstep.follower``: a client's simulation following the server's ticks, detecting
  desyncs and returning their reports as data.

``server/`` and ``client/`` are shells around it: websockets, timers, files, the CLI.
"""

from .errors import LockstepError, PolicyError, SnapshotRejected
from .follower import ChatLine, DesyncReport, Follower
from .hello import check_hello
from .policy import DEFAULT_POLICY, ServerPolicy
from .room import ClosedTick, Room
from .wire import entry_for, image_of, tick_inputs, tick_message

__all__ = [
    "Follower", "DesyncReport", "ChatLine", "check_hello", "entry_for", "image_of",
    "tick_inputs", "tick_message", "Room", "ClosedTick", "ServerPolicy", "DEFAULT_POLICY",
    "LockstepError", "SnapshotRejected", "PolicyError",
]
