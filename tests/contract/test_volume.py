"""Mentions over time (issue 15 item 3): the same zero-filled buckets and spikes on SQLite and Elasticsearch."""
from __future__ import annotations

from datetime import timedelta

import pytest

from service.narratives.volume import volume
from service.store.base import PostQuery
from tests.factories import T0, make_post


def _posts():
    posts = [make_post(h, f"Vaksin gratis jam {h}", created_at=T0 + timedelta(hours=h, minutes=5))
             for h in range(0, 20, 2)]  # one post every other hour: the odd hours are empty
    posts += [make_post(100 + i, f"Hoaks vaksin chip {i}", created_at=T0 + timedelta(hours=20, minutes=i))
              for i in range(12)]  # a burst
    posts += [make_post(200 + i, "Harga beras naik", created_at=T0 + timedelta(hours=5)) for i in range(6)]
    return posts


def test_mentions_fill_empty_buckets_span_the_dates_asked_and_mark_the_burst(store):
    store.upsert(_posts())
    got = volume(store, PostQuery(text="vaksin"), "hour")
    expected = [1 if h % 2 == 0 else 0 for h in range(20)] + [12]
    assert got.interval == "hour" and got.total == 22
    assert [b.posts for b in got.buckets] == expected
    assert [b.start for b in got.buckets] == [T0 + timedelta(hours=h) for h in range(21)]
    assert [i for i, b in enumerate(got.buckets) if b.spike] == [20] and got.buckets[20].z > 3
    assert volume(store, PostQuery(text="vaksin"), "auto").interval == "hour"  # under 3 days: hours
    day0 = T0.replace(hour=0)
    got = volume(store, PostQuery(text="vaksin OR beras", since=day0 - timedelta(days=2),
                                  until=day0 + timedelta(days=4)), "day")
    assert [b.start for b in got.buckets] == [day0 + timedelta(days=d) for d in range(-2, 4)]
    assert [b.posts for b in got.buckets] == [0, 0, 8 + 6, 2 + 12, 0, 0]  # T0 is 08:00: the burst is on day 1
    assert volume(store, PostQuery(text="tidakadakatainii"), "auto").buckets == []
    wib = volume(store, PostQuery(text="vaksin"), "day", "Asia/Jakarta")  # days start at midnight WIB (17:00 UTC)
    assert [(b.start.isoformat(), b.posts) for b in wib.buckets] == [("2024-11-01T00:00:00+07:00", 5),
                                                                    ("2024-11-02T00:00:00+07:00", 17)]
    with pytest.raises(ValueError, match="narrow since/until"):
        volume(store, PostQuery(since=T0 - timedelta(days=6000)), "day")
