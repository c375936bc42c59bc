"""The narrative ledger on the shared store (service/store/documents.py: SQLite state.db by default, Elasticsearch
with NW_STORE=elasticsearch), so every worker, `narrawatch ingest` and API replica sees the same narratives.

Kinds: `narratives` (one document per narrative, its centroid and figures), `narrative_posts` (every campaign post
the clusterer has seen: its narrative, near-duplicate group and MinHash), `post_links` (canonical links of those
posts), and for the writers `narrative_log` (one record per committed batch) and `narrative_heads` (per campaign:
the last committed and the last applied batch number).

Writing is partitioned by campaign: the clusterer holds the campaign's lease (service/store/leases.py) while it
assigns a batch, and commits the batch as ONE `narrative_log` record created under the next number. That `create`
is the commit point and the fence: a holder whose lease lapsed (paused, partitioned) gets Conflict instead of
committing over a newer holder. The record is then applied to the three read kinds (bulk writes that never replace
newer state) and the head moves on. Whoever takes the lease next replays the records it has not seen into its
in-memory index (it never reloads the campaign), and re-applies the last record if its writer died before applying
it: a batch is in the ledger entirely or not at all, and two processes never assign one post differently.

This module is the only one that knows how the ledger is stored; `migrate` moves a pre-store `alerts.db` ledger in.
"""
from __future__ import annotations

import base64
import hashlib
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path

from core.batches import batched
from service.store.base import StoreUnavailable
from service.store.documents import Conflict, Documents, put_many_kinds
from service.store.leases import Lease, Leases

KEEP = 100  # batch records kept per campaign: a process further behind than this reloads the campaign instead
_POST_FIELDS = {"campaign": "keyword", "post_id": "keyword", "narrative_id": "keyword", "created_at": "date",
                "platform": "keyword", "author": "keyword", "sentiment": "keyword", "hoax": "bool",
                "claim_id": "keyword", "dup_group": "keyword", "engagement": "long", "seq": "long"}
# kind: (declared fields, writes wait until searchable). The writer does not wait for the read kinds: it reads its
# own state by id, and whoever searches right after a commit (a process loading a campaign, threshold rules) calls
# `make_searchable()` first; the API reads them a refresh interval later at most.
KINDS: dict[str, tuple[dict[str, str], bool]] = {
    "narratives": ({"campaign": "keyword", "size": "long", "first_seen": "date", "last_seen": "date",
                    "seq": "long"}, False),
    "narrative_posts": (_POST_FIELDS, False),
    "post_links": ({"campaign": "keyword", "link": "keyword", "post_id": "keyword", "created_at": "date",
                    "seq": "long"}, False),
    "narrative_log": ({"campaign": "keyword", "seq": "long"}, False),  # read by id only
    "narrative_heads": ({}, False),
}
ORDERS = {"size": [("size", "desc"), ("last_seen", "desc")], "recent": [("last_seen", "desc")],
          "new": [("first_seen", "desc")]}
_OLD_POST_COLUMNS = ("narrative_id", "post_id", "campaign", "created_at", "platform", "author", "sentiment", "hoax",
                     "claim_id", "claim_url", "engagement", "url", "title", "text", "dup_group", "minhash")


def encode_minhash(raw: bytes | None) -> str | None:
    return base64.b64encode(raw).decode("ascii") if raw else None


def decode_minhash(text: str | None) -> bytes | None:
    return base64.b64decode(text) if text else None


def _post_id(campaign: str, post_id: str) -> str:
    return f"{campaign}:{post_id}"


def _link_id(campaign: str, link: str, post_id: str) -> str:
    return hashlib.sha1(f"{campaign}\n{link}\n{post_id}".encode()).hexdigest()


def _record_id(campaign: str, seq: int) -> str:
    return f"{campaign}:{seq:012d}"


class NarrativeLedger:
    """`open_kind(kind, fields, searchable=...)` gives the store's Documents (AlertStore passes its own); `leases`
    partition the writers by campaign; `legacy`: a pre-store alerts.db whose ledger is copied in on first use."""

    def __init__(self, open_kind: Callable[..., Documents], leases: Leases, legacy: Path | None = None):
        self.narratives, self.posts, self.links, self.log, self.heads = (
            open_kind(kind, fields, searchable=searchable) for kind, (fields, searchable) in KINDS.items())
        self.leases = leases
        self._legacy = legacy
        self._migrated = legacy is None
        self._migrating = threading.Lock()

    def _ready(self) -> None:
        """Migrate on first use, not in the constructor: a store down at start must not stop the process."""
        if not self._migrated:
            with self._migrating:
                if not self._migrated:
                    self.migrate(self._legacy)
                    self._migrated = True

    # ------------------------------------------------------------------------------------ write side (clusterer)
    def hold(self, campaign: str) -> AbstractContextManager[Lease]:
        """The campaign's lease for the block; waits while another process assigns posts of this campaign."""
        self._ready()
        return self.leases.hold(f"narratives:{campaign}", "narratives")

    def committed(self, campaign: str, known: int | None = None) -> int:
        """Under the lease: the last committed batch number, after applying it if its writer died before that.
        `known`: a batch number this process committed and applied itself (then one read answers, when nobody
        committed since)."""
        if known is not None and self.log.get(_record_id(campaign, known + 1)) is None:
            return known
        head = self.heads.get(campaign)
        seq, applied = (head.body["seq"], head.body["applied"]) if head else (0, 0)
        while self.log.get(_record_id(campaign, seq + 1)) is not None:
            seq += 1  # committed by a writer that died before moving the head
        if applied < seq:
            if (record := self.log.get(_record_id(campaign, seq))) is not None:
                self._apply(record.body)
            self._advance(campaign, seq)
        return seq

    def applied(self, campaign: str) -> int:
        """The batch number up to which every batch is written out to the read kinds (no lease needed)."""
        self._ready()
        head = self.heads.get(campaign)
        return head.body["applied"] if head else 0

    def records(self, campaign: str, after: int, upto: int) -> list[dict] | None:
        """Batch records after..upto in order; None when some are no longer kept (reload the campaign instead)."""
        if upto - after > KEEP:
            return None
        ids = [_record_id(campaign, s) for s in range(after + 1, upto + 1)]
        found = self.log.get_many(ids)
        return [found[i].body for i in ids] if len(found) == len(ids) else None

    def commit(self, campaign: str, seq: int, posts: list[dict], links: list[dict], narratives: list[dict]) -> None:
        """Commit batch `seq` (Conflict: another holder committed it first; nothing of ours is written), apply it."""
        record = {"campaign": campaign, "seq": seq, "posts": [p | {"seq": seq} for p in posts],
                  "links": [lk | {"seq": seq} for lk in links], "narratives": [n | {"seq": seq} for n in narratives]}
        self.log.create(_record_id(campaign, seq), record)
        self._apply(record)
        self._advance(campaign, seq)
        if seq > KEEP:
            self.log.delete(_record_id(campaign, seq - KEEP))

    def edit(self, campaign: str, change: Callable[[], tuple[list[dict], list[dict]]]) -> int:
        """An analyst's edit (rename, merge, split: service/narratives/edits.py) committed like a clusterer batch:
        under the campaign's lease, `change()` reads the current state and returns (posts, narratives) to write,
        committed as the next batch record. Every clusterer replays it, so clustering never undoes it."""
        with self.hold(campaign):
            seq = self.committed(campaign) + 1
            self.make_searchable()
            posts, narratives = change()
            self.commit(campaign, seq, posts, [], narratives)
        self.make_searchable()  # the analyst's next list shows the edit
        return seq

    def _apply(self, record: dict) -> None:
        campaign = record["campaign"]
        put_many_kinds([(self.posts, {_post_id(campaign, p["post_id"]): p for p in record["posts"]}),
                        (self.links, {_link_id(campaign, lk["link"], lk["post_id"]): lk for lk in record["links"]}),
                        (self.narratives, {n["id"]: n for n in record["narratives"]})], newer="seq")

    def _advance(self, campaign: str, seq: int) -> None:
        """Only the lease holder moves the head, and only to the batch it committed or applied: a plain write."""
        self.heads.put(campaign, {"campaign": campaign, "seq": seq, "applied": seq})

    def make_searchable(self) -> None:
        """Every committed batch visible to the searches below (before reading what was just written)."""
        for docs in (self.posts, self.links, self.narratives):
            docs.make_searchable()

    def campaign_narratives(self, campaign: str, limit: int) -> list[dict]:
        """The campaign's most recently active narratives (the clusterer's starting state)."""
        self.make_searchable()
        return [d.body for d in self.narratives.find({"campaign": campaign}, [("last_seen", "desc")], limit)]

    def campaign_posts(self, campaign: str, limit: int) -> Iterator[dict]:
        """The campaign's newest `limit` ledger posts, newest first."""
        for n, doc in enumerate(self.posts.scan({"campaign": campaign}, [("created_at", "desc")])):
            if n >= limit:
                return
            yield doc.body

    # ------------------------------------------------------------------------------------------------- read side
    def narrative(self, narrative_id: str | None, resolve: bool = True) -> dict | None:
        """A narrative by id; one merged into another resolves to the survivor (unless `resolve` is False)."""
        self._ready()
        doc = self.narratives.get(narrative_id) if narrative_id else None
        for _ in range(20):  # merges chain (a into b, later b into c): follow them, never in a loop
            if doc is None or not resolve or not doc.body.get("merged_into"):
                break
            doc = self.narratives.get(doc.body["merged_into"])
        return doc.body if doc else None

    def survivors(self, narrative_ids: set[str]) -> dict[str, str]:
        """{id: the narrative it now reads as} for those of `narrative_ids` merged into another (one read for all,
        then one per merge chain)."""
        self._ready()
        gone = [d for d in self.narratives.get_many(sorted(narrative_ids)).values() if d.body.get("merged_into")]
        return {d.id: survivor["id"] for d in gone if (survivor := self.narrative(d.id)) is not None}

    def list_narratives(self, campaign: str | None = None, min_size: int = 2, limit: int = 50, order: str = "size",
                        campaigns: list[str] | None = None) -> list[dict]:
        self._ready()
        where: dict = {"size": {"gte": min_size}}
        if campaigns is not None:
            if not campaigns:
                return []
            where["campaign"] = {"in": campaigns}
        if campaign:
            where["campaign"] = campaign if campaigns is None or campaign in campaigns else {"in": []}
        return [d.body for d in self.narratives.find(where, ORDERS[order], limit)]

    def period_narratives(self, campaign: str, since: datetime | None, until: datetime | None, min_posts: int,
                          limit: int) -> list[tuple[dict, int]]:
        """(narrative, its posts in [since, until)) with at least `min_posts`, most posts first (None: unbounded)."""
        self._ready()
        window = {op: at for op, at in (("gte", since), ("lt", until)) if at is not None}
        counts = Counter(d.body["narrative_id"] for d in self.posts.scan(
            {"campaign": campaign} | ({"created_at": window} if window else {})))
        docs = self.narratives.get_many([nid for nid, n in counts.items() if n >= min_posts])
        ranked = sorted(docs.values(), key=lambda d: (-counts[d.id], _neg_time(d.body.get("last_seen"))))
        return [(d.body, counts[d.id]) for d in ranked[:limit]]

    def window_posts(self, campaign: str, start: datetime, end: datetime, narrative_id: str | None = None,
                     limit: int | None = None) -> list[dict]:
        """Ledger posts created in (start, end]; with `limit`, the most engaging first, else in time order."""
        self._ready()
        where: dict = {"campaign": campaign, "created_at": {"gt": start, "lte": end}}
        if narrative_id:
            where["narrative_id"] = narrative_id
        if limit is not None:
            return [d.body for d in self.posts.find(where, [("engagement", "desc"), ("created_at", "asc")], limit)]
        return [d.body for d in self.posts.scan(where, [("created_at", "asc")])]

    def posts_between(self, campaign: str, since: datetime, until: datetime,
                      narrative_id: str | None = None) -> Iterator[dict]:
        """Ledger posts created in [since, until), of one narrative or of the whole campaign."""
        self._ready()
        where: dict = {"campaign": campaign, "created_at": {"gte": since, "lt": until}}
        if narrative_id:
            where["narrative_id"] = narrative_id
        return (d.body for d in self.posts.scan(where))

    def hoax_accounts(self, campaign: str, field: str, key: str, start: datetime, end: datetime) -> set[str]:
        """Distinct `platform:author` of hoax posts whose `field` (claim_id / narrative_id) is `key`, in [start, end]."""
        self._ready()
        where = {"campaign": campaign, field: key, "hoax": True, "created_at": {"gte": start, "lte": end}}
        return {f"{d.body['platform']}:{d.body.get('author') or '?'}" for d in self.posts.scan(where)}

    def group_posts(self, campaign: str, dup_group: str, lo: datetime, hi: datetime) -> list[dict]:
        """Posts of one near-duplicate group created in [lo, hi], in time order."""
        self._ready()
        where = {"campaign": campaign, "dup_group": dup_group, "created_at": {"gte": lo, "lte": hi}}
        return [d.body for d in self.posts.scan(where, [("created_at", "asc")])]

    def link_posts(self, campaign: str, link: str, lo: datetime, hi: datetime) -> list[dict]:
        """Posts sharing one canonical link in [lo, hi], in the order the link was posted."""
        self._ready()
        shared = list(self.links.scan({"campaign": campaign, "link": link, "created_at": {"gte": lo, "lte": hi}},
                                      [("created_at", "asc")]))
        found = self.posts.get_many([_post_id(campaign, d.body["post_id"]) for d in shared])
        return [found[i].body for i in (_post_id(campaign, d.body["post_id"]) for d in shared) if i in found]

    def narrative_posts(self, narrative_id: str, platform: str | None = None, newest: int | None = None,
                        top: int | None = None) -> list[dict]:
        """A narrative's posts: the `top` most engaging, the `newest` ones (of `platform`), or all in time order."""
        self._ready()
        where = {"narrative_id": narrative_id} | ({"platform": platform} if platform else {})
        if top is not None:
            return [d.body for d in self.posts.find(where, [("engagement", "desc"), ("created_at", "asc")], top)]
        if newest is not None:
            return [d.body for d in self.posts.find(where, [("created_at", "desc")], newest)]
        return [d.body for d in self.posts.scan(where, [("created_at", "asc")])]

    # ------------------------------------------------------------------------------------------------- migration
    def migrate(self, path: Path | None) -> int:
        """Copy the ledger tables of a pre-store SQLite file (`<data_dir>/alerts.db`) into the store, once: the
        tables are then renamed `migrated_*` (kept as a backup). Copies are idempotent and never replace state a
        worker wrote since (batch number 0), so two processes migrating at once do no harm. Returns posts copied."""
        if path is None or not Path(path).exists():
            return 0
        conn = sqlite3.connect(path, timeout=30)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if not {"narratives", "narrative_posts", "post_links"} <= tables:
                return 0
            import json

            campaigns: set[str] = set()
            for chunk in batched(conn.execute("SELECT doc FROM narratives"), 500):
                docs = [json.loads(doc) | {"seq": 0} for (doc,) in chunk]
                campaigns |= {d["campaign"] for d in docs}
                self.narratives.put_many({d["id"]: d for d in docs}, newer="seq")
            copied = 0
            for chunk in batched(conn.execute(f"SELECT {', '.join(_OLD_POST_COLUMNS)} FROM narrative_posts"), 500):
                rows = [dict(zip(_OLD_POST_COLUMNS, r)) for r in chunk]
                for r in rows:
                    r |= {"hoax": bool(r["hoax"]), "minhash": encode_minhash(r["minhash"]), "seq": 0}
                campaigns |= {r["campaign"] for r in rows}
                copied += self.posts.put_many({_post_id(r["campaign"], r["post_id"]): r for r in rows}, newer="seq")
            for chunk in batched(conn.execute("SELECT campaign, link, post_id, created_at FROM post_links"), 500):
                self.links.put_many({_link_id(c, link, pid): {"campaign": c, "link": link, "post_id": pid,
                                                              "created_at": at, "seq": 0}
                                     for c, link, pid, at in chunk}, newer="seq")
            for campaign in campaigns:
                try:
                    self.heads.create(campaign, {"campaign": campaign, "seq": 0, "applied": 0})
                except Conflict:
                    pass
            self.make_searchable()
            with conn:
                for table in ("narratives", "narrative_posts", "post_links"):
                    try:
                        conn.execute(f"ALTER TABLE {table} RENAME TO migrated_{table}")
                    except sqlite3.OperationalError:  # renamed by another process migrating at the same time
                        pass
            return copied
        except sqlite3.OperationalError as exc:
            raise StoreUnavailable(f"ledger migration from {path}: {exc}") from exc
        finally:
            conn.close()

    def drop(self) -> None:
        for docs in (self.narratives, self.posts, self.links, self.log, self.heads):
            docs.drop()


def _neg_time(value: str | None) -> float:
    return -datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() if value else 0.0
