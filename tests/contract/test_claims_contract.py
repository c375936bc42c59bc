"""Debunked claims on the shared store, the same on SQLite and on the real Elasticsearch node: what one process (a
worker's fact-check feed, `init`, POST /claims on a replica) puts, every other reads; a claims.db of an older
version is moved in once."""
from __future__ import annotations

import json
import sqlite3

from service.claim_store import ClaimStore, legacy_path


def test_claims_are_shared_upserted_by_id_and_written_in_bulk(state_settings):
    worker, api = ClaimStore(state_settings), ClaimStore(state_settings)
    seed = [{"id": f"tbh-{i:05d}", "title": f"klaim {i}", "verdict": "SALAH"} for i in range(2500)]  # > one batch
    assert worker.put(seed + [{"title": "tanpa id"}]) == 2500
    assert api.put([{"id": "tbh-00007", "title": "klaim 7, diperbarui", "verdict": "SALAH"},
                    {"id": "manual-1", "title": "dari analis", "source": "manual:kemkes"}]) == 2
    assert worker.count() == 2501
    everything = worker.all()
    assert len(everything) == 2501 and [c["id"] for c in everything] == sorted(c["id"] for c in everything)
    got = {c["id"]: c for c in everything}
    assert got["tbh-00007"]["title"] == "klaim 7, diperbarui" and got["manual-1"]["source"] == "manual:kemkes"


def test_a_claims_db_of_an_older_version_is_moved_in_once(state_settings):
    db = sqlite3.connect(legacy_path(state_settings))
    db.execute("CREATE TABLE claims (id TEXT PRIMARY KEY, doc TEXT NOT NULL)")
    db.executemany("INSERT INTO claims VALUES (?, ?)", [
        (f"tbh-{i}", json.dumps({"id": f"tbh-{i}", "title": f"lama {i}", "date": "2025-01-01"})) for i in range(3)])
    db.commit()
    db.close()
    store = ClaimStore(state_settings)
    assert [c["title"] for c in store.all()] == ["lama 0", "lama 1", "lama 2"]
    store.put([{"id": "tbh-1", "title": "baru"}])
    assert {c["id"]: c["title"] for c in ClaimStore(state_settings).all()}["tbh-1"] == "baru"  # not copied again


def test_a_matcher_built_while_the_store_was_down_gets_the_claims_once_it_is_up(state_settings):
    from classifiers.claims import ClaimIndex
    from service.classify import PendingClaims

    ClaimStore(state_settings).put([{"id": "tbh-1", "title": "Vaksin berisi microchip pelacak", "verdict": "SALAH"}])
    pending = PendingClaims(state_settings)
    early = pending.index()  # built while the store was down: empty until the on-ready hook fills it
    assert isinstance(early, ClaimIndex) and early.claims == {}
    pending.fill()
    late = pending.index()  # built after: filled at once
    assert set(early.claims) == set(late.claims) == {"tbh-1"}
