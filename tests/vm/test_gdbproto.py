"""GDB remote protocol framing (vm.gdbproto): literal bytes in, packets and acks out."""

from __future__ import annotations

import random

from vm.gdbproto import (
    MAX_PACKET,
    Interrupt,
    Packet,
    PacketReader,
    checksum,
    escape,
    frame,
    unescape,
)


def test_frame_is_dollar_payload_hash_checksum() -> None:
    # "OK": 0x4f + 0x4b = 0x9a (worked out by hand).
    assert frame(b"OK") == b"$OK#9a"
    assert frame(b"") == b"$#00"
    assert checksum(b"\xff\x02") == 0x01


def test_escapes_the_four_special_bytes() -> None:
    assert escape(b"a$b#c}d*e") == b"a}\x04b}\x03c}]d}\x0ae"
    assert frame(b"}") == b"$}]#" + b"%02x" % ((0x7D + 0x5D) & 0xFF)
    data = bytes(range(256))
    assert unescape(escape(data)) == data


def test_a_packet_is_acked_and_unescaped() -> None:
    reader = PacketReader()
    assert reader.feed(b"$X10,2:}]\x01#" + b"%02x" % checksum(b"X10,2:}]\x01")) == [
        Packet(b"X10,2:}\x01")]
    assert reader.take_output() == b"+"
    assert reader.take_output() == b""


def test_split_anywhere_gives_the_same_packets() -> None:
    stream = b"+" + frame(b"qSupported:multiprocess+") + b"+" + frame(b"g") + frame(b"m0,4")
    whole = PacketReader().feed(stream)
    assert whole == [Packet(b"qSupported:multiprocess+"), Packet(b"g"), Packet(b"m0,4")]
    rng = random.Random(5)
    for _ in range(50):
        reader = PacketReader()
        got = []
        i = 0
        while i < len(stream):
            n = rng.randint(1, 7)
            got += reader.feed(stream[i:i + n])
            i += n
        assert got == whole
        assert reader.take_output() == b"+++"


def test_bad_checksum_and_bad_digits_are_nacked_and_dropped() -> None:
    reader = PacketReader()
    assert reader.feed(b"$g#00") == []
    assert reader.feed(b"$g#zz") == []
    assert reader.take_output() == b"--"
    assert reader.dropped == 2
    assert reader.feed(b"$g#67") == [Packet(b"g")]  # it recovers


def test_oversize_packet_is_dropped_without_being_kept() -> None:
    reader = PacketReader(max_packet=64)
    events = reader.feed(b"$" + b"A" * 10_000)
    assert events == []
    assert len(reader._body) <= 64
    body = b"A" * 10_000
    assert reader.feed(b"#" + b"%02x" % checksum(body)) == []
    assert reader.take_output() == b"-"
    assert reader.feed(frame(b"A" * 64)) == [Packet(b"A" * 64)]


def test_interrupt_between_packets_and_resync_on_dollar() -> None:
    reader = PacketReader()
    assert reader.feed(b"\x03") == [Interrupt()]
    # A packet cut short by a new one: the first is dropped, the second arrives.
    assert reader.feed(b"$m1" + frame(b"c")) == [Packet(b"c")]


def test_no_ack_mode_sends_nothing() -> None:
    reader = PacketReader()
    reader.no_ack = True
    assert reader.feed(frame(b"g") + b"$g#00") == [Packet(b"g")]
    assert reader.take_output() == b""


def test_random_bytes_never_raise_and_memory_stays_bounded() -> None:
    rng = random.Random(1)
    reader = PacketReader()
    for _ in range(300):
        chunk = bytes(rng.choice(b"$#}*\x03+-0a9fZ") for _ in range(rng.randint(0, 300)))
        for event in reader.feed(chunk):
            assert isinstance(event, Packet | Interrupt)
        assert len(reader._body) <= MAX_PACKET
        reader.take_output()
