"""One valid instance of every protocol message, shared by the protocol tests."""

from __future__ import annotations

import hashlib

from protocol import (
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
    compress_blob,
    compress_mod,
)


def sha(text: str) -> str:
    """A SHA-256 in hex, of ``text``: a stand-in mod or state hash."""
    return hashlib.sha256(text.encode()).hexdigest()


HOST_ABI = sha("host-abi")
VM_ABI = "rv64gc-linux-1"

#: Three stand-in ELF files; "core" is cached by the client, the others are sent.
ELVES = {
    "core": b"\x7fELF core " + bytes(300),
    "physics": b"\x7fELF physics " + bytes(range(256)) * 4,
    "turrets": b"\x7fELF turrets " + b"pew" * 100,
}
SHAS = {name: hashlib.sha256(elf).hexdigest() for name, elf in ELVES.items()}


def entry(name: str, *deps: str) -> ModEntry:
    return ModEntry(
        name=name,
        version="1.0.0",
        sha256=SHAS[name],
        size=len(ELVES[name]),
        language="c",
        dependencies=deps,
        memory_limit=4 << 20,
        stack_limit=256 << 10,
        instruction_limit=1_000_000,
        host_abi=HOST_ABI,
    )


MANIFEST = (entry("core"), entry("physics", "core"), entry("turrets", "core", "physics"))

HELLO = Hello(
    protocol_versions=(1, 2),
    vm_abi=VM_ABI,
    host_abi=HOST_ABI,
    name="Ada",
    cached_mods=(SHAS["core"],),
)
WELCOME = Welcome(
    protocol_version=2,
    player_id=7,
    tick_rate=30,
    manifest=MANIFEST,
    sending=(SHAS["physics"], SHAS["turrets"]),
    token="q3Zb1cQx7vT0mN9pL2kW8yR4sU6aE5dH",
)
REFUSAL = Refusal(code=Code.VERSION, reason="this server speaks protocol 3 only")
BLOBS = {
    name: ModBlob(sha256=SHAS[name], size=len(ELVES[name]), data=compress_mod(ELVES[name]))
    for name in ("physics", "turrets")
}
READY = Ready()
WORLD = b"world and machines " * 20
SNAPSHOT = Snapshot(
    tick=10,
    size=len(WORLD),
    data_size=len(compress_blob(WORLD)),
    data=compress_blob(WORLD),
    state_hash=sha("state 10"),
    players=(Player(3, "Bob"), Player(7, "Ada")),
)
#: A state zstd cannot shrink, sent as a Snapshot with its first 100 bytes and one part.
NOISE = b"".join(hashlib.sha256(i.to_bytes(4, "little")).digest() for i in range(64))
NOISE_DATA = compress_blob(NOISE)
SNAPSHOT_HEAD = Snapshot(
    tick=10,
    size=len(NOISE),
    data_size=len(NOISE_DATA),
    data=NOISE_DATA[:100],
    state_hash=sha("noise 10"),
    players=(Player(7, "Ada"),),
)
SNAPSHOT_PART = SnapshotPart(offset=100, data=NOISE_DATA[100:])
INPUT = Input(seq=1, tick=10, buttons=0b10001)
TICK = Tick(
    tick=11,
    state_hash=sha("state 11"),
    joins=(Player(9, "Cy"),),
    leaves=(3,),
    inputs=(TickInput(7, 0b10001), TickInput(9, 2)),
    chats=(TickChat(7, "hi all"), TickChat(7, "gg")),
    enables=("pickups",),
    reloads=(Reload(tick=1000, mods=(MANIFEST[1],)),),
)
CHAT = Chat(text="hello, world ☺")
DESYNC = Desync(tick=11, state_hash=sha("mine"))
FETCH = Fetch(sha256=SHAS["physics"])
BYE = Bye(code=Code.QUIT, reason="player quit")

#: One of each message type, in session order.
NOTICE = Notice(text="kicked Bob (player 3)")

SAMPLES: tuple[Message, ...] = (
    HELLO,
    WELCOME,
    REFUSAL,
    BLOBS["physics"],
    READY,
    SNAPSHOT,
    SNAPSHOT_PART,
    INPUT,
    TICK,
    CHAT,
    DESYNC,
    FETCH,
    NOTICE,
    BYE,
)


def sample_id(msg: Message) -> str:
    return type(msg).__name__
