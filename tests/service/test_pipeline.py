from service.pipeline import Pipeline
from core.quarantine import read_quarantine
from service.spool import Spool
from service.store.base import PostQuery, StoreUnavailable
from service.store.sqlite import SQLiteStore
from core.domain import Campaign
from tests.factories import make_post


class Flaky:
    """A real SQLite store behind a switch that makes it refuse writes, like a stopped Elasticsearch."""

    def __init__(self, inner):
        self.inner, self.down = inner, False

    def upsert(self, posts):
        if self.down:
            raise StoreUnavailable("connection refused")
        return self.inner.upsert(posts)

    def __getattr__(self, name):
        return getattr(self.inner, name)


class Tagger:
    def classify(self, posts):
        for p in posts:
            p.lang = "id"
        return posts


def _pipeline(tmp_path, store, batch=10):
    store.init()
    return Pipeline(store, Tagger(), Spool(tmp_path / "spool"), batch_size=batch)


def test_outage_mid_ingest_spools_then_replays_without_loss_or_duplicates(tmp_path):
    store = Flaky(SQLiteStore(tmp_path / "db.sqlite"))
    pipe = _pipeline(tmp_path, store)
    posts = [make_post(i, campaigns=[]) for i in range(100)]
    stats = pipe.process(posts[:40])
    store.down = True
    stats_down = pipe.process(posts[40:70])
    assert stats_down.spooled == 30 and pipe.spool.pending() == 30
    store.down = False
    stats_up = pipe.process(posts[60:])  # overlaps the spooled batch on purpose
    assert stats.stored == 40 and stats_up.replayed == 30 and pipe.spool.pending() == 0
    assert store.count() == 100
    assert sorted(p.native_id for p in store.scan(PostQuery())) == sorted(str(i) for i in range(100))


def test_spool_survives_a_restart(tmp_path):
    store = Flaky(SQLiteStore(tmp_path / "db.sqlite"))
    store.down = True
    _pipeline(tmp_path, store).process([make_post(i) for i in range(25)])
    store.down = False
    fresh = _pipeline(tmp_path, store)  # a new process finds the spool on disk
    assert fresh.drain() == 25 and store.count() == 25 and fresh.spool.pending() == 0


def test_posts_are_tagged_with_matching_campaigns(tmp_path):
    store = SQLiteStore(tmp_path / "db.sqlite")
    pipe = _pipeline(tmp_path, store)
    store.put_campaign(Campaign(id="bbm", name="BBM", keywords=["harga bbm"], hashtags=["#SubsidiTepat"]))
    store.put_campaign(Campaign(id="pemilu", name="Pemilu", accounts=["@kpu_ri"]))
    pipe.process([make_post(1, "Harga BBM naik lagi", campaigns=[]),
                  make_post(2, "dukung #subsiditepat", campaigns=[], hashtags=["SubsidiTepat"]),
                  make_post(3, "jadwal tahapan", campaigns=[], author="KPU_RI"),
                  make_post(4, "tidak terkait", campaigns=[])])
    assert [store.get(make_post(i).id).campaigns for i in (1, 2, 3, 4)] == [["bbm"], ["bbm"], ["pemilu"], []]


def test_an_unreadable_spooled_line_is_quarantined_and_the_rest_replayed(tmp_path):
    """A spool file written by an older version (or damaged) must not block the spool forever."""
    store = SQLiteStore(tmp_path / "db.sqlite")
    pipe = _pipeline(tmp_path, store)
    path = pipe.spool.put([make_post(1), make_post(2)])
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0], '{"source": "test", "text": "no native id"}', lines[1]]) + "\n",
                    encoding="utf-8")
    pipe.spool.put([make_post(3)])
    assert pipe.drain() == 3 and pipe.spool.batches() == []
    assert sorted(p.native_id for p in store.scan(PostQuery())) == ["1", "2", "3"]
    [record] = read_quarantine(tmp_path / "quarantine" / "store.jsonl")
    assert record["source"] == f"spool:{path.name}" and record["line"] == 2 and "native_id" in record["reason"]
