"""Whether a client's ``Hello`` can join: the checks that need no room, no socket, no clock."""

from __future__ import annotations

from protocol import SUPPORTED_VERSIONS, Code, Hello, negotiate
from vm import VM_ABI

__all__ = ["check_hello"]


def check_hello(hello: Hello, *, host_abi: str) -> int | tuple[Code, str]:
    """The protocol version to speak with this client, or why it cannot join: a ``Code``
    and a reason for the ``Refusal`` (no common version, another VM ABI, other mods' host
    ABI)."""
    version = negotiate(hello.protocol_versions, SUPPORTED_VERSIONS)
    if version is None:
        return Code.VERSION, (f"no common protocol version: you speak "
                              f"{list(hello.protocol_versions)}, this server "
                              f"{list(SUPPORTED_VERSIONS)}")
    if hello.vm_abi != VM_ABI:
        return Code.VM_ABI, f"VM ABI mismatch: you run {hello.vm_abi!r}, this server {VM_ABI!r}"
    if hello.host_abi != host_abi:
        return Code.HOST_ABI, (f"host ABI mismatch: you have {hello.host_abi[:12]}, "
                               f"the mods need {host_abi[:12]}")
    return version
