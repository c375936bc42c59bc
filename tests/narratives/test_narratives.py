"""Trending (both stores), spikes (median/MAD), clusters (near-duplicates, persistence), coordination windows."""
from __future__ import annotations

from datetime import timedelta

import pytest

from service.alerts.store import AlertStore
from service.narratives import spikes
from service.narratives.clusters import NarrativeClusterer
from service.narratives.coordination import best_window
from service.narratives.links import canonical_link
from service.narratives.trending import jlh, parse_duration, trending
from tests.factories import T0, make_post


def test_trending_on_each_store(store):
    calm = [make_post(i, text=f"Persiapan KTT ASEAN berjalan lancar di gedung {i % 4}", hashtags=["ktt"],
                      created_at=T0 + timedelta(hours=i)) for i in range(40)]
    rising = [make_post(100 + i, text="Isu blackout listrik saat KTT ASEAN beredar luas", hashtags=["blackout", "ktt"],
                        links=["https://contoh.example/blackout", f"https://www.berita.example/{i}"],
                        created_at=T0 + timedelta(hours=40, minutes=5 * i)) for i in range(8)]
    store.upsert(calm + rising)
    until = T0 + timedelta(hours=41)
    result = trending(store, "asean", window=timedelta(hours=2), baseline=timedelta(days=3), until=until)
    assert result.window_posts == 9
    assert result.terms and result.terms[0].term in {"blackout", "listrik", "isu", "beredar", "luas"}
    assert "blackout" in [t.term for t in result.terms]
    assert "ktt" not in [t.term for t in result.terms]  # present everywhere: not significant
    assert [h.term for h in result.hashtags] == ["blackout"]
    assert result.links and "blackout" in result.links[0].term
    assert sorted(d.term for d in result.domains) == ["berita.example", "contoh.example"]  # tied: any order
    assert result.method in {"python-jlh", "elasticsearch-significant_text"}


def test_jlh_and_durations():
    assert jlh(8, 10, 8, 50) == pytest.approx((0.8 - 0.16) * (0.8 / 0.16))
    assert jlh(1, 10, 50, 50) == 0.0
    assert parse_duration("6h") == timedelta(hours=6) and parse_duration("2w") == timedelta(weeks=2)
    for bad in ("", "0h", "6x", "h6", "9999d"):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_robust_spike_detection():
    end = T0
    width = timedelta(hours=1)
    flat = [(5, 1)] * 24
    assert spikes.volume_spike(flat + [(6, 1)], end, width, 3.5, 5) is None
    hit = spikes.volume_spike(flat + [(30, 20)], end, width, 3.5, 5)
    assert hit and hit.median == 5 and hit.z > 3.5
    noisy = [(n, 0) for n in [2, 9, 4, 12, 3, 8, 15, 1, 7, 10]]
    assert spikes.volume_spike(noisy + [(16, 0)], end, width, 3.5, 5) is None  # within its usual range
    assert spikes.volume_spike(noisy + [(16, 0)], end, width, 1.0, 5) is not None  # more sensitive
    neg = spikes.negative_share_spike([(10, 1)] * 10 + [(10, 8)], end, width, 3, 5, 0.5)
    assert neg and neg.value == 0.8
    assert spikes.negative_share_spike([(10, 1)] * 10 + [(10, 4)], end, width, 3, 5, 0.5) is None


def test_clusters_group_near_duplicates_and_persist(tmp_path):
    db = AlertStore(tmp_path / "alerts.db")
    clusters = NarrativeClusterer(db.ledger)
    copies = [make_post(i, text=f"Beredar kabar vaksin di KTT ASEAN mengandung chip pelacak, bagikan! {'!' * i}",
                        author=f"akun{i}") for i in range(5)]
    other = [make_post(10 + i, text=f"Delegasi Vietnam tiba di bandara Soekarno-Hatta pagi ini nomor {i}")
             for i in range(3)]
    out = clusters.add(copies + other)
    chip = {a.narrative_id for a in out[:5]}
    assert len(chip) == 1 and len({a.dup_group for a in out[:5]}) == 1
    assert out[5].narrative_id not in chip
    # restart: the same post keeps its narrative; a new near-copy joins it
    clusters2 = NarrativeClusterer(AlertStore(tmp_path / "alerts.db").ledger)
    again = clusters2.add([copies[0], make_post(99, text="Beredar kabar vaksin di KTT ASEAN mengandung chip pelacak, "
                                                        "bagikan sekarang!")])
    assert again[0].new_post is False and {a.narrative_id for a in again} == chip
    assert db.ledger.narrative(next(iter(chip)))["size"] == 6


def test_best_window_and_links():
    rows = [{"t": T0 + timedelta(minutes=m), "account": a} for m, a in
            [(0, "x"), (1, "y"), (30, "a"), (31, "b"), (32, "c"), (33, "a")]]
    assert {r["account"] for r in best_window(rows, timedelta(minutes=5))} == {"a", "b", "c"}
    assert canonical_link("https://www.Example.com/a/?utm_source=x&id=2#frag") == "https://example.com/a?id=2"


def test_labels_are_a_representative_post_and_distinctive_weighted_terms(tmp_path):
    """Issue 15 item 5: the label is the post closest to the narrative's centroid; terms are weighted c-TF-IDF style,
    so a word every narrative uses ('berita') ranks below the one that sets this narrative apart ('mandul')."""
    texts = ["Berita: vaksin bikin mandul, anak bahaya kalau disuntik, datanya dihapus pemerintah",
             "Berita awas vaksin bikin mandul! anak kita bahaya, data efek samping dihapus",
             "Berita vaksin mandul itu nyata, bahaya buat anak, datanya sudah dihapus",
             "Berita delegasi Vietnam tiba di bandara Soekarno-Hatta",
             "Berita delegasi Thailand tiba di bandara Soekarno-Hatta pagi ini",
             "Berita jalan ditutup selama konferensi, warga diminta pakai KRL"]
    store = AlertStore(tmp_path / "alerts.db")
    out = NarrativeClusterer(store.ledger).add([make_post(i, text=t) for i, t in enumerate(texts)])
    chip = store.ledger.narrative(out[0].narrative_id)
    members = {a.post.id: a.post.text for a in out if a.narrative_id == chip["id"]}
    assert len(members) == 3 and chip["label"] == members[chip["representative"]["post_id"]]  # a post, not a bag of words
    assert chip["representative"]["post_id"] == out[1].post.id  # the most central: not the first, nor the latest
    terms = [t["term"] for t in chip["terms"]]
    assert terms == chip["keywords"]
    assert "mandul" in terms[:5] and "berita" not in terms[:5]
    weights = [t["weight"] for t in chip["terms"]]
    assert weights == sorted(weights, reverse=True) and weights[0] > 0
