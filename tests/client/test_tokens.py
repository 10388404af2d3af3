"""client.cache.TokenStore: one player token per server URL, in the cache folder, private."""

from __future__ import annotations

import stat
from pathlib import Path

from client.cache import TokenStore


def test_a_token_is_kept_per_url_and_name_privately(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "tokens")
    assert store.get("ws://a:1", "ann") == ""  # nothing yet, and no folder needed
    store.put("ws://a:1", "ann", "tok-a")
    store.put("ws://b:1", "ann", "tok-b")
    store.put("ws://a:1", "bob", "tok-bob")  # bots sharing a cache folder: one token each
    assert store.get("ws://a:1", "ann") == store.get("WS://A:1/", "ann") == "tok-a"
    assert store.get("ws://b:1", "ann") == "tok-b" and store.get("ws://a:1", "bob") == "tok-bob"
    store.put("ws://a:1", "ann", "tok-a2")
    assert store.get("ws://a:1", "ann") == "tok-a2"
    files = list((tmp_path / "tokens").iterdir())
    assert len(files) == 3
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    store.forget("ws://a:1", "ann")
    assert store.get("ws://a:1", "ann") == "" and store.get("ws://b:1", "ann") == "tok-b"


def test_a_damaged_or_foreign_file_is_no_token(tmp_path: Path) -> None:
    store = TokenStore(tmp_path)
    store.put("ws://a:1", "ann", "tok")
    (path,) = tmp_path.iterdir()
    for content in (b"", b"{", b"[1]", b'{"token": 5}', b'{"token": "has space"}',
                    b'{"token": "' + b"x" * 65 + b'"}', b"\xff" * 10_000):
        path.write_bytes(content)
        assert store.get("ws://a:1", "ann") == ""
