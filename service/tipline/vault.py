"""The tipline's secrets about senders: a salt kept in its own file (never in a database, a log or the API).

- `sender_hash`: HMAC-SHA256(salt, channel + sender). Without the salt, hashing every possible phone number does not
  find it; it is all the monitor stores about who sent a tip (rate limits, "each sender once" for answers).
- `message_key`: the stored id of a tip's message. WhatsApp message ids (wamid.…) embed the sender's number in
  base64 and Telegram's need the chat id, so neither is stored as such.
- `seal`/`unseal`: the sender's address, encrypted (Fernet: AES-128-CBC + HMAC) with a key derived from the salt,
  kept only so the alert desk can answer within `reply_days`; erased after that.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from functools import cached_property
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken


class SenderVault:
    def __init__(self, salt: bytes | None = None, path: Path | None = None):
        """`salt` itself, or the `path` of the salt file, read (or created) on first use so that commands which
        never see a tip create nothing."""
        if salt is not None and len(salt) < 16:
            raise ValueError("the tipline salt must hold at least 16 bytes")
        self._salt_value, self._path = salt, path

    @property
    def _salt(self) -> bytes:
        if self._salt_value is None:
            assert self._path is not None
            self._salt_value = read_or_create_salt(self._path)
        return self._salt_value

    @cached_property
    def _fernet(self) -> Fernet:
        return Fernet(base64.urlsafe_b64encode(self._mac(b"reply-address-key")))

    def _mac(self, data: bytes) -> bytes:
        return hmac.new(self._salt, data, hashlib.sha256).digest()

    def sender_hash(self, channel: str, sender: str) -> str:
        return self._mac(f"sender\x1f{channel}\x1f{sender}".encode()).hex()

    def message_key(self, channel: str, key: str) -> str:
        return self._mac(f"message\x1f{channel}\x1f{key}".encode()).hex()[:32]

    def seal(self, address: str) -> str:
        return self._fernet.encrypt(address.encode()).decode()

    def unseal(self, token: str) -> str | None:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:  # the salt file was replaced: the old addresses are unreadable, not an error
            return None

    def __repr__(self) -> str:
        return "SenderVault(<salt>)"


def read_or_create_salt(path: Path) -> bytes:
    """The salt file's content, creating it first (32 random bytes as hex, mode 0600) when missing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    salt = path.read_text(encoding="ascii").strip().encode()
    if len(salt) < 16:
        raise ValueError(f"the tipline salt file {path} must hold at least 16 characters")
    return salt
