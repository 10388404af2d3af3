"""riscade's wire protocol: messages, their encoding, limits, ordering and compression.

Pure code: no sockets, no asyncio, no clock. The I/O shells in ``server/`` and ``client/``
move bytes between a websocket and a :class:`Link`, which checks every message both ways.

Modules, one responsibility each:

- ``errors``: the exception tree (``ProtocolError`` → ``LocalMisuse`` / ``PeerViolation``).
- ``limits``: ``Limits``, every size limit in one record.
- ``version``: ``PROTOCOL_VERSION`` and ``negotiate``.
- ``schema``: field kinds; records that check themselves when built.
- ``messages``: every message and nested record.
- ``codec``: ``encode`` / ``decode`` between messages and msgpack bytes.
- ``link``: ``Link``, ``Role``, ``State`` and ``FLOW``, the state table.
- ``compression``: zstd for mods and snapshots with bounded output and hash checks.
- ``zstd``: the zstd library this interpreter has (zstandard, or 3.14's compression.zstd).
- ``snapshots``: a snapshot of any legal size as a ``Snapshot`` and its ``SnapshotPart``s.
"""

from .codec import decode, encode
from .compression import (
    DEFAULT_MOD_LEVEL,
    DEFAULT_SNAPSHOT_LEVEL,
    compress_blob,
    compress_mod,
    decompress_blob,
    decompress_mod,
    max_compressed_size,
)
from .errors import (
    BlobError,
    LocalMisuse,
    MessageTooLarge,
    ModVerificationError,
    PeerViolation,
    ProtocolError,
)
from .limits import DEFAULT_LIMITS, Limits
from .link import FLOW, Link, Role, State
from .messages import (
    MESSAGE_TYPES,
    Bye,
    Chat,
    Code,
    Desync,
    Fetch,
    Hello,
    Input,
    Message,
    ModBlob,
    ModEntry,
    Notice,
    Player,
    Ready,
    Refusal,
    Reload,
    Snapshot,
    SnapshotPart,
    Tick,
    TickChat,
    TickInput,
    Welcome,
)
from .snapshots import SnapshotAssembler, split_snapshot
from .version import PROTOCOL_VERSION, SUPPORTED_VERSIONS, negotiate

__all__ = [
    # errors
    "ProtocolError",
    "LocalMisuse",
    "PeerViolation",
    "MessageTooLarge",
    "BlobError",
    "ModVerificationError",
    # limits and versions
    "Limits",
    "DEFAULT_LIMITS",
    "PROTOCOL_VERSION",
    "SUPPORTED_VERSIONS",
    "negotiate",
    # messages
    "Message",
    "MESSAGE_TYPES",
    "Hello",
    "Welcome",
    "Refusal",
    "ModBlob",
    "Ready",
    "Snapshot",
    "SnapshotPart",
    "Input",
    "Tick",
    "Chat",
    "Desync",
    "Fetch",
    "Bye",
    "Notice",
    "ModEntry",
    "Player",
    "TickInput",
    "TickChat",
    "Reload",
    "Code",
    # codec and link
    "encode",
    "decode",
    "Link",
    "Role",
    "State",
    "FLOW",
    # compression
    "compress_mod",
    "decompress_mod",
    "compress_blob",
    "decompress_blob",
    "max_compressed_size",
    "DEFAULT_MOD_LEVEL",
    "DEFAULT_SNAPSHOT_LEVEL",
    # snapshots of any size
    "split_snapshot",
    "SnapshotAssembler",
]
