"""The narrative ledger on the shared store, the same on SQLite and on the real Elasticsearch node. Two AlertStore
instances stand for two processes (worker and `narrawatch ingest`, or two workers), each with its own lease owner:
batches of one campaign are assigned under the campaign's lease, each on the state the other committed, so a cluster
is one narrative whichever process saw its posts, no post is assigned twice, and a batch committed by a writer that
died before applying it is applied by the next one. A pre-store alerts.db ledger is migrated once, nothing lost."""
from __future__ import annotations

import base64
import json
import sqlite3
import sys
import threading
from collections import Counter
from datetime import timedelta

import pytest

from service.alerts.store import AlertStore
from service.narratives.clusters import NarrativeClusterer
from service.store.documents import Conflict
from core.domain import Classification
from tests.factories import T0, make_post

CHIP = "Beredar kabar vaksin di KTT ASEAN mengandung chip pelacak, bagikan sekarang juga nomor {}"
DELEGASI = "Delegasi Vietnam tiba di bandara Soekarno-Hatta pagi ini untuk KTT ASEAN nomor {}"


@pytest.fixture
def pair(state_settings):
    stores = [AlertStore.open(state_settings) for _ in range(2)]
    yield [NarrativeClusterer(s.ledger) for s in stores]
    stores[0].ledger.drop()


def posts(start: int, n: int, text: str = CHIP):
    return [make_post(i, text=text.format(i), author=f"akun{i}", created_at=T0 + timedelta(minutes=i))
            for i in range(start, start + n)]


def ledger_state(ledger) -> tuple[dict[str, str], Counter, dict[str, int]]:
    """post id -> narrative, posts per narrative, and each narrative's stored size."""
    ledger.make_searchable()
    rows = list(ledger.posts.scan())
    assigned = {r.body["post_id"]: r.body["narrative_id"] for r in rows}
    assert len(assigned) == len(rows), "a post in the ledger twice"
    sizes = {d.id: d.body["size"] for d in ledger.narratives.scan()}
    return assigned, Counter(assigned.values()), sizes


def test_two_processes_alternating_build_one_narrative_per_cluster(pair):
    """Alternating batches; then the fence against a holder whose lease lapsed; then a writer dying mid-commit."""
    a, b = pair
    out = a.add(posts(0, 4) + posts(100, 3, DELEGASI))
    chip, delegasi = out[0].narrative_id, out[4].narrative_id
    assert chip != delegasi and {x.narrative_id for x in out[:4]} == {chip}
    out = b.add(posts(4, 3) + posts(103, 2, DELEGASI))  # b has never seen the campaign: loads what a committed
    assert [x.narrative_id for x in out] == [chip] * 3 + [delegasi] * 2 and all(x.new_post for x in out)
    loads = []
    real_load = a._load
    a._load = lambda campaign: loads.append(campaign) or real_load(campaign)
    out = a.add(posts(7, 2) + posts(2, 1))  # a replays b's batch from the log instead of reloading the campaign
    assert [x.narrative_id for x in out] == [chip] * 3 and [x.new_post for x in out] == [True, True, False]
    assert loads == []
    assigned, per_narrative, sizes = ledger_state(a.ledger)
    assert per_narrative == {chip: 9, delegasi: 5} and sizes == {chip: 9, delegasi: 5}
    assert a.ledger.committed("asean") == 3  # three batches with new posts (each committed once)

    # a holder paused past its lease while b committed batch 4: a's own batch 4 is refused (the fence)...
    b.add(posts(9, 1))
    with pytest.raises(Conflict):
        a.ledger.commit("asean", 4, [], [], [])
    real, calls = a.ledger.committed, []
    a.ledger.committed = lambda campaign, known=None: calls.append(campaign) or (3 if len(calls) == 1 else
                                                                                real(campaign))
    out = a.add(posts(10, 1) + posts(9, 1))  # ...so a batch assigned on stale state is redone on b's
    a.ledger.committed = real
    assert len(calls) == 2 and a.redone == 1 and [x.new_post for x in out] == [True, False]

    # a writer killed after committing batch 6 and before writing it out: the next holder writes it out first
    b.ledger._apply = lambda record: sys.exit("killed")
    with pytest.raises(SystemExit):
        b.add(posts(11, 2))
    del b.ledger._apply
    assert posts(11, 1)[0].id not in ledger_state(a.ledger)[0]  # committed, not yet written out
    out = a.add(posts(11, 2) + posts(13, 1))
    assert [x.new_post for x in out] == [False, False, True]  # b's assignment kept, not made again
    assigned, per_narrative, sizes = ledger_state(a.ledger)
    assert per_narrative == {chip: 14, delegasi: 5} and sizes == dict(per_narrative)
    assert real("asean") == 7


def test_concurrent_writers_agree(pair):
    """Both add batches of the same campaign at once: every post lands once, each narrative's size is its posts."""
    errors = []

    def run(clusters, start):
        try:
            for k in range(4):
                clusters.add(posts(start + 10 * k, 5) + posts(500 + start + 10 * k, 2, DELEGASI))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(c, s)) for c, s in zip(pair, (0, 5))]
    [t.start() for t in threads]
    [t.join(300) for t in threads]
    assert not errors, errors
    assert [c.redone for c in pair] == [0, 0]  # the lease kept them apart: nobody assigned on stale state
    assigned, per_narrative, sizes = ledger_state(pair[0].ledger)
    assert len(assigned) == 2 * 4 * 7
    assert dict(per_narrative) == sizes  # without the lease, one writer's size overwrites the other's
    assert len(per_narrative) == 2  # one per cluster, whichever process saw its posts first


# One hoax worded four ways (few shared words: TF-IDF alone gives four narratives), and another hoax of the same
# campaign worded almost like the first one's last wording: the classifier matched each post to its debunked claim.
HOTEL = ["VIRAL! Delegasi nginep hotel bintang 5 gratis dibayar pajak rakyat, sementara rakyat susah",
         "Pajak kita dipakai bayar penginapan mewah tamu summit, keterlaluan!! Sebarkan",
         "Ternyata kamar suite para delegasi ditanggung APBN 😡",
         "Uang rakyat buat menginap gratis di resort bintang lima, ini bener apa hoaks?"]
BUS = "Uang rakyat buat sewa bus gratis delegasi bintang lima, ini bener apa hoaks?"


def claimed(n: int, text: str, claim: str | None):
    post = make_post(n, text=text, author=f"akun{n}", created_at=T0 + timedelta(minutes=n))
    post.classification = Classification(hoax=claim is not None, matched_claim_id=claim,
                                         matched_claim_url=claim and f"https://cek.example/{claim}")
    return post


def test_a_reworded_hoax_joins_its_claims_narrative_and_another_hoax_stays_apart(pair):
    """Issue 15 item 5: posts matching one debunked claim land in one narrative however they are worded, also when
    the other process (which loaded the campaign from the ledger) assigns the later wordings; a post matching another
    claim never joins it by similarity, and a post matching no claim is clustered by its words as before."""
    a, b = pair
    first = a.add([claimed(0, HOTEL[0], "hotel"), claimed(1, HOTEL[1], "hotel"), claimed(2, DELEGASI.format(2), None)])
    hotel = first[0].narrative_id
    assert first[1].narrative_id == hotel and first[2].narrative_id != hotel
    later = b.add([claimed(3, HOTEL[2], "hotel"), claimed(4, HOTEL[3], "hotel"), claimed(5, BUS, "bus"),
                   claimed(6, BUS.replace("sewa", "carter"), None)])
    assert [x.narrative_id for x in later[:2]] == [hotel, hotel]
    bus = later[2].narrative_id
    assert bus != hotel and later[3].narrative_id == bus  # matching no claim: clustered by its words, as before
    assert a.add([claimed(7, BUS.replace("sewa", "pinjam"), "bus")])[0].narrative_id == bus
    assert b.ledger.narrative(hotel)["claims"] == {"hotel": "https://cek.example/hotel"}
    assert b.ledger.narrative(hotel)["size"] == 4 and b.ledger.narrative(bus)["size"] == 3


def test_narratives_that_come_to_hold_one_claim_merge_unless_an_analyst_split_them(pair):
    """An unmatched wording clustered on its own, whose near-copy later matches the claim another narrative holds
    (the fact-check arrived meanwhile): the two merge in that batch, and the other process follows. A narrative an
    analyst split off is never merged back that way."""
    from service.narratives import edits

    a, b = pair
    first = a.add([claimed(0, CHIP.format(0), None), claimed(1, CHIP.format(1), None),
                   claimed(2, HOTEL[0], "hoax"), claimed(3, HOTEL[1], "hoax"), claimed(4, BUS, "bus")])
    chip, hotel, bus = first[0].narrative_id, first[2].narrative_id, first[4].narrative_id
    assert first[1].narrative_id == chip and len({chip, hotel, bus}) == 3
    out = b.add([claimed(5, CHIP.format(5), "hoax")])  # joins its near-copies, then their narrative meets the claim's
    assert out[0].narrative_id == chip  # the larger one (3 posts against 2) survives
    assigned, per_narrative, sizes = ledger_state(b.ledger)
    assert per_narrative == {chip: 5, bus: 1} and sizes == {chip: 5, hotel: 0, bus: 1}
    assert b.ledger.narrative(hotel)["id"] == chip and b.ledger.narrative(chip)["merged"] == [hotel]
    assert a.add([claimed(6, HOTEL[0] + " !!", None)])[0].narrative_id == chip  # a replayed the merge

    split = edits.split(b.ledger, chip, [posts_of(0), posts_of(1)])["id"]  # the analyst: these unmatched ones apart
    out = a.add([claimed(7, CHIP.format(7), "hoax"), claimed(8, CHIP.format(8), "hoax")])
    assert [x.narrative_id for x in out] == [split, split]  # near-copies of its posts: it now holds the claim too...
    assigned, per_narrative, sizes = ledger_state(a.ledger)
    assert per_narrative == {chip: 4, split: 4, bus: 1} and sizes[split] == 4  # ...and is not merged back


def posts_of(n: int) -> str:
    return claimed(n, "", None).id


OLD_SCHEMA = """
CREATE TABLE narratives (id TEXT PRIMARY KEY, campaign TEXT NOT NULL, size INTEGER NOT NULL,
    first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE narrative_posts (narrative_id TEXT NOT NULL, post_id TEXT NOT NULL, campaign TEXT NOT NULL,
    created_at TEXT NOT NULL, platform TEXT, author TEXT, sentiment TEXT, hoax INTEGER NOT NULL DEFAULT 0,
    claim_id TEXT, claim_url TEXT, engagement INTEGER NOT NULL DEFAULT 0, url TEXT, title TEXT, text TEXT NOT NULL,
    dup_group TEXT NOT NULL, minhash BLOB, PRIMARY KEY (campaign, post_id));
CREATE TABLE post_links (campaign TEXT NOT NULL, link TEXT NOT NULL, post_id TEXT NOT NULL,
    created_at TEXT NOT NULL, PRIMARY KEY (campaign, link, post_id));
"""


def test_a_pre_store_alerts_db_ledger_is_migrated_once(state_settings, tmp_path):
    """The old per-machine ledger (written here by the pre-store schema) moves into the store on first use."""
    old = AlertStore(tmp_path / "old.db")
    built = NarrativeClusterer(old.ledger)
    linked = make_post(50, text=DELEGASI.format(50), links=["https://x.example/a?utm_source=t"])
    original = built.add(posts(0, 4) + [linked])
    legacy = state_settings.data_dir / "alerts.db"
    with sqlite3.connect(legacy) as conn:  # the same rows, as the old engine stored them
        conn.executescript(OLD_SCHEMA)
        for d in old.ledger.narratives.scan():
            conn.execute("INSERT INTO narratives VALUES (?,?,?,?,?,?)", (d.id, d.body["campaign"], d.body["size"],
                         d.body["first_seen"], d.body["last_seen"], json.dumps(d.body)))
        for d in old.ledger.posts.scan():
            p = d.body
            conn.execute("INSERT INTO narrative_posts VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                         (p["narrative_id"], p["post_id"], p["campaign"], p["created_at"], p["platform"], p["author"],
                          p["sentiment"], int(p["hoax"]), p["claim_id"], p["claim_url"], p["engagement"], p["url"],
                          p["title"], p["text"], p["dup_group"], base64.b64decode(p["minhash"])))
        for d in old.ledger.links.scan():
            conn.execute("INSERT INTO post_links VALUES (?,?,?,?)", tuple(d.body[k] for k in
                                                                         ("campaign", "link", "post_id", "created_at")))
    store = AlertStore.open(state_settings)
    chip = original[0].narrative_id
    out = NarrativeClusterer(store.ledger).add(posts(3, 2))  # the first use: clustering continues on migrated state
    assert [x.new_post for x in out] == [False, True] and {x.narrative_id for x in out} == {chip}
    assert store.ledger.narrative(chip)["size"] == 5
    assigned, per_narrative, sizes = ledger_state(store.ledger)
    assert assigned == {a.post.id: a.narrative_id for a in original} | {out[1].post.id: chip}  # nothing lost
    assert dict(per_narrative) == sizes
    assert [r["post_id"] for r in store.ledger.link_posts("asean", "https://x.example/a", T0, T0 + timedelta(days=9))
            ] == [original[4].post.id]
    with sqlite3.connect(legacy) as conn:
        assert {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")} == {
            "migrated_narratives", "migrated_narrative_posts", "migrated_post_links"}  # kept as a backup
    again = AlertStore.open(state_settings)  # a second open migrates nothing again (the size would go back to 4)
    assert again.ledger.narrative(chip)["size"] == 5 and again.ledger.migrate(legacy) == 0
