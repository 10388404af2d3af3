"""The lockstep core shared by the server and every client, without I/O.

It sits between ``protocol`` (messages, which know nothing of the game) and ``game`` (the
simulation, which knows nothing of messages), and decides what neither shell should:

- ``lockstep.wire``: the one mapping between wire messages and the simulation's types
  (``Tick`` and ``TickInputs``, ``ModEntry`` and ``ModImage``).
- ``lockstep.hello``: whether a client's ``Hello`` can join (versions and ABIs).
- ``lockstep.names``: player names cleaned of what a reader cannot see, compared without case.
- ``lockstep.handshake``: the server's side of every handshake (``Handshake.accept(hello)``
  gives a ``Welcome`` naming the mods to send, or a ``Refusal``), player slots and names.
- ``lockstep.admission``: connections per address, origins of browser pages.
- ``lockstep.join``: a client's join: the ``Hello``, the mods it needs, each blob verified,
  a ``Follower`` in the server's state.
- ``lockstep.reload``: hot reload: what a new build of a running mod replaces
  (``plan_reload``: it, then its dependants) and the room's schedule of announced swaps.
- ``lockstep.room``: the authoritative room: players, inputs and chat accepted within every
  limit of a tick, ticks closed.
- ``lockstep.policy``: every limit a server applies to connections (``ServerPolicy``).
- ``lockstep.follower``: a client's simulation following the server's ticks, detecting
  desyncs and returning their reports as data.
- ``lockstep.errors``: ``LockstepError``, the base of what the core raises.

``server/`` and ``client/`` are shells around it: websockets, timers, files, the CLI.
"""

from .admission import Admission, origin_allowed
from .errors import LockstepError, PolicyError, ReloadRefused, SnapshotRejected
from .follower import ChatLine, DesyncReport, Follower
from .handshake import Handshake
from .hello import check_hello
from .join import Join, JoinError, Refused, resume
from .policy import DEFAULT_POLICY, ServerPolicy
from .room import ClosedTick, Room
from .wire import entry_for, image_of, reason_text, tick_inputs, tick_message

__all__ = [
    "Follower", "DesyncReport", "ChatLine", "check_hello", "entry_for", "image_of",
    "tick_inputs", "tick_message", "reason_text", "Room", "ClosedTick", "ServerPolicy",
    "DEFAULT_POLICY", "Handshake", "Join", "JoinError", "Refused", "resume", "Admission",
    "origin_allowed", "LockstepError", "SnapshotRejected", "PolicyError", "ReloadRefused",
]
