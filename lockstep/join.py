"""A client's join, without I/O: the ``Hello``, the mods it still needs, each blob verified,
then a ``Follower`` continuing from the server's snapshot.

All or nothing: every mod of the manifest must come from the cache or in a blob that
decompresses within its manifest size and matches its SHA-256 before anything is loaded, and
nothing should be cached before every mod has loaded. Each mod's machine gets the memory and
stack its manifest entry names. The client (``client.driver``) moves the messages through its
``Link`` (which checks the protocol's rules first), has its shell read and write the cache,
and keeps the figures::

    join = Join("ann", cache.hashes(), host_abi=HOST_API.abi_hash())
    send(join.hello)
    for sha in join.welcome(receive()):     # Refused if the server said no
        join.cached(sha, cache.get(sha))    # the mods the cache must give
    while join.downloading:
        join.blob(receive())                # each verified as it comes
    follower = join.load_mods()             # then cache join.downloaded, send Ready
    while join.snapshot(receive()) is None:
        pass

Every failure is a ``JoinError`` carrying the ``Bye`` to send the server (``None`` when the
server ended the join itself); ``Refused`` when the server refused us.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from game.simulation import SimulationError
from protocol import (
    DEFAULT_LIMITS,
    SUPPORTED_VERSIONS,
    Bye,
    Code,
    Hello,
    Limits,
    LocalMisuse,
    Message,
    ModBlob,
    ModEntry,
    ModVerificationError,
    Refusal,
    Snapshot,
    SnapshotAssembler,
    SnapshotPart,
    Welcome,
    decompress_mod,
)
from vm import VM_ABI

from .errors import LockstepError
from .follower import Follower
from .wire import image_of, reason_text

__all__ = ["Join", "JoinError", "Refused", "resume"]


class JoinError(LockstepError):
    """The join (or a resynchronisation) cannot go on; the message says why.

    Attributes:
        bye: the ``Bye`` to send the server before closing, or ``None`` (the server ended
            it, or there is nobody to tell).
    """

    def __init__(self, message: str, bye: Bye | None = None) -> None:
        super().__init__(message)
        self.bye = bye


class Refused(JoinError):
    """The server refused us (``Refusal``, or a ``Bye`` instead of a ``Welcome``).

    Attributes:
        code, reason: the server's.
    """

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"server refused to let us join ({code}): {reason}")
        self.code = code
        self.reason = reason


def _bye(code: Code, text: str) -> Bye:
    return Bye(code=code, reason=reason_text(text))


def resume(follower: Follower, whole: Snapshot) -> None:
    """Continue ``follower`` from the server's whole snapshot (the first one, or a resync).

    Raises:
        JoinError: a state the follower cannot use (with a ``Bye`` of ``Code.DESYNC``).
        BlobError: the data is not the zstd frame its message declares (a protocol error).
    """
    try:
        follower.load_snapshot(whole)
    except SimulationError as exc:
        raise JoinError(f"the server's snapshot of tick {whole.tick} is unusable: {exc}",
                        _bye(Code.DESYNC, str(exc))) from None


class Join:
    """One client's join, from its ``Hello`` to a ``Follower`` in the server's state.

    Args:
        name: the player's name.
        cached: the SHA-256s of the ELFs in the client's cache; the ``Hello`` offers the
            first ``limits.max_cached_mods`` of them in sorted order.
        host_abi: the host-call ABI the client implements.
        vm_abi: the VM ABI the client implements.
        limits: the protocol's limits (``max_cached_mods``, ``max_mod_size``).
        token: the token this server gave us before (``""``: none), to play as the same
            player again.
        password, admin_token: the server's password and admin token, if we have them.

    Attributes:
        hello: the ``Hello`` to send first.
        manifest: the server's manifest, once ``welcome`` accepted it (else empty).
        player_id: who we play as, once welcomed.
        token: our token on this server, once welcomed (keep it for the next ``Hello``).
        from_cache: mods taken from the cache.
        blob_bytes: compressed bytes of the blobs received and verified.
        follower: the simulation, once ``load_mods`` built it.
        snapshot_size: compressed bytes of the first snapshot, once it is loaded.
    """

    def __init__(self, name: str, cached: Iterable[str], *, host_abi: str,
                 vm_abi: str = VM_ABI, limits: Limits = DEFAULT_LIMITS, token: str = "",
                 password: str = "", admin_token: str = "") -> None:
        self.limits = limits
        offered = tuple(sorted(set(cached)))[:limits.max_cached_mods]
        self.hello = Hello(protocol_versions=SUPPORTED_VERSIONS, vm_abi=vm_abi,
                           host_abi=host_abi, name=name, cached_mods=offered, token=token,
                           password=password, admin_token=admin_token)
        self.token = ""
        self.manifest: tuple[ModEntry, ...] = ()
        self.player_id: int | None = None
        self.from_cache = 0
        self.blob_bytes = 0
        self.follower: Follower | None = None
        self.snapshot_size: int | None = None
        self._due: dict[str, ModEntry] = {}  # blobs announced and not yet received
        self._cache_due: dict[str, ModEntry] = {}  # mods the cache must give
        self._elfs: dict[str, bytes] = {}  # sha256 -> verified ELF
        self._received: list[bytes] = []
        self._assembler = SnapshotAssembler()

    @property
    def downloading(self) -> bool:
        """True while blobs ``Welcome.sending`` announced have not all come."""
        return bool(self._due)

    @property
    def downloaded(self) -> tuple[bytes, ...]:
        """The ELFs received in blobs, verified: for the cache, once ``load_mods`` succeeded."""
        return tuple(self._received)

    def welcome(self, msg: Message) -> tuple[str, ...]:
        """Take the server's answer to the ``Hello``.

        Returns:
            The SHA-256s of the mods to read from the cache (``cached``), in manifest order:
            those the server does not send.

        Raises:
            Refused: a ``Refusal`` or a ``Bye``.
            JoinError: another message.
        """
        if isinstance(msg, Refusal | Bye):
            raise Refused(msg.code, msg.reason)
        if not isinstance(msg, Welcome) or self.player_id is not None:
            raise self._violation(f"{type(msg).__name__} instead of a Welcome")
        sending = frozenset(msg.sending)
        self.manifest, self.player_id, self.token = msg.manifest, msg.player_id, msg.token
        self._due = {e.sha256: e for e in msg.manifest if e.sha256 in sending}
        self._cache_due = {e.sha256: e for e in msg.manifest if e.sha256 not in sending}
        return tuple(self._cache_due)

    def cached(self, sha256: str, elf: bytes | None) -> None:
        """The cache's ELF for ``sha256`` (``None``: it has none any more).

        Raises:
            JoinError: the cache had no such ELF, or not one with this hash.
        """
        entry = self._cache_due.get(sha256)
        if entry is None:
            raise LocalMisuse(f"mod {sha256[:12]} was not asked of the cache, or twice")
        if elf is None or hashlib.sha256(elf).hexdigest() != sha256:
            reason = f"mod {entry.name} ({sha256[:12]}) is neither cached nor sent"
            raise JoinError(reason, _bye(Code.MOD_VERIFICATION, reason))
        del self._cache_due[sha256]
        self._elfs[sha256] = elf
        self.from_cache += 1

    def blob(self, msg: Message) -> bytes:
        """Verify one ``ModBlob``: announced and not yet received, of its manifest size (at
        most ``limits.max_mod_size``), decompressing to exactly that many bytes with its
        SHA-256. Returns the ELF.

        Raises:
            JoinError: a blob that fails any check (``Code.MOD_VERIFICATION``), another
                message instead (a ``Bye``: the server gave up).
        """
        if isinstance(msg, Bye):
            raise JoinError(f"server closed during the download ({msg.code}): {msg.reason}")
        if not isinstance(msg, ModBlob):
            raise self._violation(f"{type(msg).__name__} during the download")
        entry = self._due.get(msg.sha256)
        if entry is None:
            raise self._violation(f"mod {msg.sha256[:12]} was not announced, or came twice")
        try:
            if msg.size != entry.size:
                raise ModVerificationError(msg.sha256, f"{msg.size} bytes, the manifest says "
                                                       f"{entry.size}")
            elf = decompress_mod(msg.data, entry.size, entry.sha256,
                                 limit=self.limits.max_mod_size)
        except ModVerificationError as exc:
            raise JoinError(f"mod {msg.sha256[:12]} failed verification: {exc}",
                            _bye(Code.MOD_VERIFICATION, str(exc))) from None
        del self._due[msg.sha256]
        self._elfs[msg.sha256] = elf
        self._received.append(elf)
        self.blob_bytes += len(msg.data)
        return elf

    def load_mods(self) -> Follower:
        """Every mod is here: load them all, in manifest order, into a ``Follower`` (none of
        their code runs). Then cache ``downloaded`` and send ``Ready``.

        Raises:
            JoinError: a mod that cannot run with its manifest's limits
                (``Code.MOD_VERIFICATION``).
            LocalMisuse: called before the welcome, or with mods still due.
        """
        if self.player_id is None or self._due or self._cache_due or self.follower:
            raise LocalMisuse("load_mods: not welcomed, mods still due, or already loaded")
        try:
            images = [image_of(entry, self._elfs[entry.sha256]) for entry in self.manifest]
            self.follower = Follower(images, player_id=self.player_id)
        except SimulationError as exc:
            raise JoinError(f"cannot run the server's mods: {exc}",
                            _bye(Code.MOD_VERIFICATION, str(exc))) from None
        return self.follower

    def snapshot(self, msg: Message) -> Follower | None:
        """Take the next message of the server's first snapshot.

        Returns:
            The follower in the server's state once the snapshot is whole, else ``None``.

        Raises:
            JoinError: a ``Bye`` (the server gave up), another message, or a state the
                follower cannot use (see ``resume``).
            BlobError: snapshot data that is not what its message declares.
        """
        if self.follower is None:
            raise LocalMisuse("snapshot: the mods are not loaded yet")
        if isinstance(msg, Bye):
            raise JoinError(f"server closed before the game began ({msg.code}): {msg.reason}")
        if not isinstance(msg, Snapshot | SnapshotPart):
            raise self._violation(f"{type(msg).__name__} before the snapshot")
        whole = self._assembler.add(msg)
        if whole is None:
            return None
        resume(self.follower, whole)
        self.snapshot_size = whole.data_size
        return self.follower

    @staticmethod
    def _violation(what: str) -> JoinError:
        reason = f"protocol error: {what}"
        return JoinError(reason, _bye(Code.PROTOCOL_ERROR, reason))
