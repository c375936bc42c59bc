"""API keys, sessions and the access audit log on the shared store, the same on SQLite and on the real
Elasticsearch node. Two KeyStore instances stand for two API replicas: what one writes, the other sees at once."""
from __future__ import annotations

import hashlib
import sqlite3
import time

import pytest

from service.api.auth import KeyStore, Principal, auth_db_path
from service.store.base import StoreUnavailable


@pytest.fixture
def replicas(state_settings):
    return KeyStore(state_settings), KeyStore(state_settings)


def test_a_key_made_on_one_replica_works_and_is_revoked_on_the_other(replicas):
    a, b = replicas
    info, token = a.create("Tim humas", "pr", "kemkes")
    assert b.verify(token) == Principal(info.key_id, "Tim humas", "pr", "kemkes")
    assert b.verify(token[:-1] + ("A" if token[-1] != "A" else "B")) is None  # same id, wrong secret
    body = b.keys.get(info.key_id).body
    assert body["key_hash"] == hashlib.sha256(token.encode()).hexdigest() and token.split("_", 2)[2] not in str(body)
    assert b.revoke(info.key_id) and not a.revoke(info.key_id)
    assert a.verify(token) is None  # no replica keeps a key it was shown once
    [listed] = a.list()
    assert listed.key_id == info.key_id and listed.revoked_at and listed.last_used_at


def test_a_session_opened_on_one_replica_ends_everywhere(replicas):
    a, b = replicas
    info, _ = a.create("analis", "analyst", "kemkes")
    session = a.open_session(info.key_id, hours=1)
    assert b.verify_session(session).key_id == info.key_id
    assert b.sessions.get(hashlib.sha256(session.encode()).hexdigest()) and a.sessions.get(session) is None
    assert b.close_session(session) and not a.close_session(session)
    assert a.verify_session(session) is None
    again = b.open_session(info.key_id, hours=1)
    short = b.open_session(info.key_id, hours=0.5 / 3600)
    time.sleep(0.6)
    assert a.verify_session(short) is None and a.verify_session(again)  # expired on the server's clock
    a.revoke(info.key_id)
    assert b.verify_session(again) is None  # revoking the key ends its sessions


def test_audit_rows_from_every_replica_filtered_and_scoped(replicas):
    a, b = replicas
    kemkes = Principal("k1", "kemkes admin", "admin", "kemkes")
    ri = Principal("k2", "ri admin", "admin", "kemkes-ri")
    a.audit(kemkes, "POST", "/campaigns", 201, "10.0.0.1", touched=["kemkes"])
    b.audit(ri, "DELETE", "/alerts/a_1?x=*", 404)
    a.audit(None, "POST", "/ui/login", 401, "10.0.0.2")
    b.audit(ri, "POST", "/campaigns/c1/rules", 201, touched=["kemkes", "kemkes-ri"])
    newest = a.audit_log()
    assert [(e.method, e.path, e.status) for e in newest] == [
        ("POST", "/campaigns/c1/rules", 201), ("POST", "/ui/login", 401), ("DELETE", "/alerts/a_1?x=*", 404),
        ("POST", "/campaigns", 201)]
    assert newest[0].touched == ["kemkes", "kemkes-ri"] and newest[3].client == "10.0.0.1"
    paths = lambda **kw: [e.path for e in b.audit_log(**kw)]  # noqa: E731
    assert paths(workspace="kemkes") == ["/campaigns/c1/rules", "/campaigns"]  # its keys' rows + rows touching it
    assert paths(workspace="kemkes-ri") == ["/campaigns/c1/rules", "/alerts/a_1?x=*"]
    assert paths(workspace="ri") == [] and paths(key_id="k2", method="delete") == ["/alerts/a_1?x=*"]
    assert paths(path="campaigns") == ["/campaigns/c1/rules", "/campaigns"] and paths(path="x=*") == ["/alerts/a_1?x=*"]
    assert paths(status_class=4) == ["/ui/login", "/alerts/a_1?x=*"] and paths(limit=1) == ["/campaigns/c1/rules"]


def test_store_down_keeps_keys_verified_recently_and_refuses_the_rest(replicas):
    a, b = replicas
    _, known = a.create("dikenal", "pr", "kemkes")
    _, unseen = a.create("baru", "pr", "kemkes")
    session = a.open_session(b.verify(known).key_id, hours=1)
    assert b.verify_session(session)

    def down(*_a, **_k):
        raise StoreUnavailable("node unreachable")

    b.keys.get = b.sessions.get = b.log.create = down
    assert b.verify(known).name == "dikenal" and b.verify_session(session).name == "dikenal"  # writes reach the spool
    with pytest.raises(StoreUnavailable):
        b.verify(unseen)  # never verified here: 503, not a guess
    b.audit(None, "POST", "/posts", 202)  # the row goes to the server log, the request is not failed


OLD_SCHEMA = """
CREATE TABLE api_keys (key_id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, workspace TEXT NOT NULL,
    key_hash TEXT NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT, last_used_at TEXT);
CREATE TABLE audit_log (id INTEGER PRIMARY KEY, ts TEXT NOT NULL, key_id TEXT, name TEXT, role TEXT, workspace TEXT,
    method TEXT NOT NULL, path TEXT NOT NULL, status INTEGER NOT NULL, client TEXT, detail TEXT, touched TEXT);
CREATE TABLE sessions (session_hash TEXT PRIMARY KEY, key_id TEXT NOT NULL, created_at TEXT NOT NULL,
    expires_at REAL NOT NULL, revoked_at TEXT);
"""


def test_an_auth_db_of_an_older_version_is_moved_in_once(state_settings):
    live, gone = "nwk_0123456789ab_" + "s" * 43, "nwk_ba9876543210_" + "t" * 43
    session = "nws_" + "u" * 43
    db = sqlite3.connect(auth_db_path(state_settings))
    db.executescript(OLD_SCHEMA)
    db.executemany("INSERT INTO api_keys VALUES (?,?,?,?,?,?,?,?)", [
        ("0123456789ab", "humas", "pr", "kemkes", hashlib.sha256(live.encode()).hexdigest(),
         "2026-01-01T00:00:00.000000Z", None, None),
        ("ba9876543210", "lama", "admin", "*", hashlib.sha256(gone.encode()).hexdigest(),
         "2025-12-01T00:00:00.000000Z", "2026-01-02T00:00:00.000000Z", None)])
    db.execute("INSERT INTO sessions VALUES (?,?,?,?,NULL)", (hashlib.sha256(session.encode()).hexdigest(),
                                                              "0123456789ab", "2026-01-01", time.time() + 3600))
    db.executemany("INSERT INTO audit_log VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", [
        (1, "2026-01-01T00:00:01.000000Z", "0123456789ab", "humas", "pr", "kemkes", "POST", "/alerts/a/ack", 200,
         "10.0.0.1", None, None),
        (2, "2026-01-01T00:00:02.000000Z", "ba9876543210", "lama", "admin", "*", "POST", "/campaigns", 201,
         None, None, ",kemkes,")])
    db.commit()
    db.close()

    store = KeyStore(state_settings)
    assert store.verify(live).key_id == "0123456789ab" and store.verify(gone) is None
    assert store.verify_session(session).name == "humas"
    assert [k.key_id for k in store.list()] == ["ba9876543210", "0123456789ab"]
    assert [e.path for e in store.audit_log(workspace="kemkes")] == ["/campaigns", "/alerts/a/ack"]
    store.revoke("0123456789ab")
    again = KeyStore(state_settings)  # the next start: copied once, not again over what changed since
    assert again.verify(live) is None and len(again.list()) == 2 and len(again.audit_log()) == 2
    assert auth_db_path(state_settings).is_file()  # left in place, never written again
