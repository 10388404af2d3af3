"""Bytes to messages and back.

A message is one msgpack map (see ``messages.py``). ``decode`` is the inbound entry point for
a whole message: it checks the size before unpacking, unpacks with msgpack's own length
limits derived from ``Limits``, then rebuilds the message through its constructor and checks
its limit-bound sizes. Whatever is wrong with the bytes, it raises ``PeerViolation`` and
nothing else.
"""

from __future__ import annotations

import functools
from dataclasses import fields
from typing import Any

import msgpack

from .errors import LocalMisuse, MessageTooLarge, PeerViolation
from .limits import DEFAULT_LIMITS, Limits
from .messages import MAX_VERSIONS, MESSAGE_BY_TAG, MESSAGE_TYPES, RECORD_TYPES
from .schema import Message, short_repr

__all__ = ["encode", "decode"]

#: The longest string whose length the schema fixes rather than a limit (an identifier, a
#: token, a SHA-256 in hex).
_LONGEST_FIXED_STR = 64
#: Most entries of a map: "t" and the fields of the largest message.
_MAX_MAP_LEN = 1 + max(len(fields(cls)) for cls in MESSAGE_TYPES)
#: Most entries of an array that no limit bounds: the fields of a nested record, or versions.
_MAX_FIXED_ARRAY_LEN = max(MAX_VERSIONS, *(len(fields(cls)) for cls in RECORD_TYPES))


def _map_without_repeats(pairs: list[tuple[Any, Any]]) -> dict[Any, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise ValueError("a map repeats a key")
    return out


@functools.cache
def _unpack_options(limits: Limits) -> dict[str, Any]:
    """msgpack's limits for ``limits``: no string, byte string, array or map can be longer
    than any valid message would need, and extension types are refused."""
    longest_text = max(
        limits.max_name_length, limits.max_chat_length, limits.max_reason_length, _LONGEST_FIXED_STR
    )
    return {
        "raw": False,
        "strict_map_key": True,
        "object_pairs_hook": _map_without_repeats,
        "max_str_len": 4 * longest_text,  # UTF-8 takes at most 4 bytes a character
        "max_bin_len": limits.max_message_size,
        "max_array_len": max(
            limits.max_mods,
            limits.max_cached_mods,
            limits.max_players,
            limits.max_chats_per_tick,
            _MAX_FIXED_ARRAY_LEN,
        ),
        "max_map_len": _MAX_MAP_LEN,
        "max_ext_len": 0,
    }


def encode(msg: Message, *, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """Turn a message into the bytes of one websocket message.

    Args:
        msg: the message; its constructor has already checked it.
        limits: the limits the peer is expected to apply; a message over them is not sent.

    Returns:
        The msgpack map: ``"t"`` first, then the fields in declaration order.

    Raises:
        LocalMisuse: ``msg`` is not a message, or it is over a limit (the error names the
            field or the encoded size and the limit).
    """
    if not isinstance(msg, Message):
        raise LocalMisuse(f"cannot encode {type(msg).__name__}: not a message")
    msg.check_limits(limits)
    data: bytes = msgpack.packb(msg.to_map())
    if len(data) > limits.max_message_size:
        raise LocalMisuse(
            f"{type(msg).__name__} of {len(data)} bytes is over "
            f"max_message_size={limits.max_message_size}"
        )
    return data


def decode(data: bytes, *, limits: Limits = DEFAULT_LIMITS) -> Message:
    """Turn the bytes of one websocket message into a message.

    Args:
        data: the payload of one binary websocket message, exactly as received.
        limits: the limits to hold the peer to.

    Returns:
        The message, valid in every field and within ``limits``.

    Raises:
        MessageTooLarge: ``data`` is over ``limits.max_message_size`` (checked first).
        PeerViolation: anything else wrong: not bytes (a text frame), not msgpack, not a map,
            an unknown ``"t"``, a missing, unknown or invalid field, a size over a limit.
            The caller answers with ``Bye(code="protocol_error", ...)`` and closes.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise PeerViolation(f"expected a binary message, got {type(data).__name__}")
    size = memoryview(data).nbytes
    if size > limits.max_message_size:
        raise MessageTooLarge(size, limits.max_message_size)
    try:
        obj = msgpack.unpackb(data, **_unpack_options(limits))
    except msgpack.StackError as exc:  # its message is empty
        raise PeerViolation("not a msgpack message: nested too deep") from exc
    except Exception as exc:  # msgpack raises ValueError subclasses "and other exceptions"
        raise PeerViolation(f"not a msgpack message: {str(exc) or type(exc).__name__}") from exc
    if not isinstance(obj, dict):
        raise PeerViolation(f"expected a map, got {type(obj).__name__}")
    tag = obj.get("t")
    cls = MESSAGE_BY_TAG.get(tag) if isinstance(tag, str) else None
    if cls is None:
        raise PeerViolation(f"unknown message type {short_repr(tag)}")
    try:
        msg = cls.from_map(obj)
        msg.check_limits(limits)
    except LocalMisuse as exc:
        raise PeerViolation(str(exc)) from exc
    return msg
