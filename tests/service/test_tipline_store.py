"""The tip desk's state: sealed reply addresses expire and are erased, the salt decides every hash, windows reset."""
from __future__ import annotations

import time

from service.tipline.store import TipStore
from service.tipline.vault import SenderVault, read_or_create_salt


def test_sealed_address_needs_the_salt_and_expires(tmp_path):
    vault, other = SenderVault(b"a" * 32), SenderVault(b"b" * 32)
    sealed = vault.seal("6281100000099")
    assert "6281100000099" not in sealed and vault.unseal(sealed) == "6281100000099"
    assert other.unseal(sealed) is None  # a replaced salt file makes old addresses unreadable, not an error
    assert vault.sender_hash("whatsapp", "6281") != other.sender_hash("whatsapp", "6281")
    assert vault.sender_hash("whatsapp", "6281") != vault.sender_hash("telegram", "6281")

    store = TipStore(tmp_path / "tipline.db")
    now = time.time()
    store.put_route("h1", "whatsapp", sealed, "1122", now + 60)
    store.put_route("h2", "telegram", vault.seal("42"), None, now - 1)
    assert store.route("h1") == ("whatsapp", sealed, "1122") and store.route("h2") is None
    assert store.erase_expired() == 1 and store.db.execute("SELECT count(*) FROM routes").fetchone()[0] == 1
    assert store.route("h1", now=now + 61) is None  # past reply_days nobody can be answered
    store.close()


def test_rate_window_resets_and_notices_once(tmp_path):
    store = TipStore(tmp_path / "tipline.db")
    verdicts = [store.admit("h", 2, 60, now=1000 + i) for i in range(5)]
    assert verdicts == ["ok", "ok", "notice", "silent", "silent"]
    assert store.admit("h", 2, 60, now=1061) == "ok"  # a new window
    assert store.admit("other", 2, 60, now=1002) == "ok"
    store.close()


def test_salt_file_is_created_private_and_kept(tmp_path):
    path = tmp_path / "secrets" / "tipline.salt"
    salt = read_or_create_salt(path)
    assert len(salt) == 64 and path.stat().st_mode & 0o777 == 0o600
    assert read_or_create_salt(path) == salt  # never regenerated: every stored hash depends on it
    lazy = SenderVault(path=path)
    assert lazy.sender_hash("telegram", "1") == SenderVault(salt).sender_hash("telegram", "1")
