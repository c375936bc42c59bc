"""Analysts' edits of narratives: rename, merge, split. Each is one batch record in the narrative ledger, committed
under the campaign's lease like a clusterer batch (NarrativeLedger.edit), so every clusterer replays it and later
posts follow it: a name is a field the clusterer keeps, a merged narrative's posts and id belong to the survivor
(its document keeps `merged_into`), and split-off posts form a new narrative that near-copies and similar posts join.
"""
from __future__ import annotations

import uuid
from collections import Counter

from service.narratives.clusters import Narrative, class_weight, merged_ids, tombstone
from service.narratives.ledger import NarrativeLedger

NAME_MAX = 200


class EditError(ValueError):
    """The edit cannot be made: `status` 404 (unknown narrative or post) or 400 (it makes no sense)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def _current(ledger: NarrativeLedger, narrative_id: str, campaign: str | None = None) -> dict:
    doc = ledger.narrative(narrative_id, resolve=False)
    if doc is None or (campaign is not None and doc["campaign"] != campaign):
        raise EditError(f"narrative {narrative_id!r} not found", 404)
    if doc.get("merged_into"):
        raise EditError(f"narrative {narrative_id!r} was merged into {doc['merged_into']!r}; edit that one", 409)
    return doc


def _weight(ledger: NarrativeLedger, campaign: str):
    docs = ledger.campaign_narratives(campaign, 3000)
    class_tf: Counter = Counter()
    for d in docs:
        class_tf.update(d.get("centroid") or {})
    return class_weight(class_tf, sum(1 for d in docs if not d.get("merged_into")))


def rename(ledger: NarrativeLedger, narrative_id: str, name: str) -> dict:
    name = " ".join((name or "").split())
    if not name:
        raise EditError("name must not be empty")
    if len(name) > NAME_MAX:
        raise EditError(f"name longer than {NAME_MAX} characters")
    campaign = _current(ledger, narrative_id)["campaign"]
    out: dict = {}

    def change():
        doc = _current(ledger, narrative_id, campaign)
        out.update(doc | {"name": name, "label": name})
        return [], [out]
    ledger.edit(campaign, change)
    return out


def merge(ledger: NarrativeLedger, survivor_id: str, absorbed_ids: list[str]) -> dict:
    """Merge `absorbed_ids` into `survivor_id` (same campaign): their posts move, their ids resolve to it."""
    absorbed = list(dict.fromkeys(absorbed_ids))
    if not absorbed:
        raise EditError("name at least one narrative to merge")
    if survivor_id in absorbed:
        raise EditError("a narrative cannot be merged into itself")
    campaign = _current(ledger, survivor_id)["campaign"]
    for nid in absorbed:
        if _current(ledger, nid)["campaign"] != campaign:
            raise EditError(f"narrative {nid!r} belongs to another campaign than {survivor_id!r}")
    out: dict = {}

    def change():
        survivor = _current(ledger, survivor_id, campaign)
        gone = [_current(ledger, nid, campaign) for nid in absorbed]
        posts = ledger.narrative_posts(survivor_id)
        moved = [p | {"narrative_id": survivor_id} for nid in absorbed for p in ledger.narrative_posts(nid)]
        merged = merged_ids(survivor.get("merged") or [], [(d["id"], d.get("merged") or []) for d in gone])
        n = Narrative.from_posts(survivor_id, campaign, posts + moved, survivor.get("name"), merged)
        out.update(n.doc(_weight(ledger, campaign)))
        tombstones = [tombstone(d, survivor_id) for d in gone]
        return moved, [out, *tombstones]
    ledger.edit(campaign, change)
    return out


def split(ledger: NarrativeLedger, narrative_id: str, post_ids: list[str], name: str | None = None) -> dict:
    """Move `post_ids` (some, not all, of the narrative's posts) to a new narrative; returns the new one."""
    chosen = list(dict.fromkeys(post_ids))
    if not chosen:
        raise EditError("name at least one post to split off")
    name = " ".join(name.split())[:NAME_MAX] if name and name.strip() else None
    campaign = _current(ledger, narrative_id)["campaign"]
    new_id = "n_" + uuid.uuid4().hex[:12]
    out: dict = {}

    def change():
        source = _current(ledger, narrative_id, campaign)
        posts = ledger.narrative_posts(narrative_id)
        ids = {p["post_id"] for p in posts}
        if unknown := [p for p in chosen if p not in ids]:
            raise EditError(f"posts not in narrative {narrative_id!r}: {', '.join(unknown[:5])}")
        if len(chosen) == len(ids):
            raise EditError("a split must leave at least one post in the narrative (that is a rename)")
        keep = [p for p in posts if p["post_id"] not in chosen]
        moved = [p | {"narrative_id": new_id} for p in posts if p["post_id"] in chosen]
        weight = _weight(ledger, campaign)
        rest = Narrative.from_posts(narrative_id, campaign, keep, source.get("name"), source.get("merged"))
        out.update(Narrative.from_posts(new_id, campaign, moved, name).doc(weight) | {"split_from": narrative_id})
        return moved, [rest.doc(weight), out]
    ledger.edit(campaign, change)
    return out
