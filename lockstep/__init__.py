"""The lockstep core shared by the server and every client, without I/O.

It sits between ``protocol`` (messages, which know nothing of the game) and ``game`` (the
simulation, which knows nothing of messages), and decides what neither shell should:

- ``lockstep.wire``: the one mapping between wire messages and the simulation's types
  (``Tick`` and ``TickInputs``, ``ModEntry`` and ``ModImage``).
- ``lockstep.hello``: whether a client's ``Hello`` can join (versions and ABIs).

``server/`` and ``client/`` are shells around it: websockets, timers, files, the CLI.
(The room and the follower are still in ``server/room.py`` and ``client/follower.py``.)
"""

from .hello import check_hello
from .wire import entry_for, image_of, tick_inputs, tick_message

__all__ = ["check_hello", "entry_for", "image_of", "tick_inputs", "tick_message"]
