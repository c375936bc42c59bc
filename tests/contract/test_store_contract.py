"""The store contract: this file runs unchanged against SQLite and a real Elasticsearch node."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from core.domain import Campaign, Engagement
from service.store.base import Page, PostQuery, StoreRejected
from service.store.query import QuerySyntaxError
from tests.factories import T0, classified, engaged, make_post


def test_upsert_and_get_round_trip(store):
    post = make_post(1, url="https://example.org/1", hashtags=["ktt"], raw={"k": "v"})
    assert store.upsert([post]) == 1
    got = store.get(post.id)
    assert got is not None
    assert got.text == post.text and got.created_at == post.created_at and got.raw == {"k": "v"}
    assert store.get("missing") is None


def test_reingest_is_idempotent_and_engagement_overwrites(store):
    posts = [make_post(i) for i in range(20)]
    store.upsert(posts)
    store.upsert(posts)
    assert store.count() == 20
    first_seen = store.get(posts[0].id).first_seen_at
    again = make_post(0, collected_at=first_seen + timedelta(days=2))
    again.engagement = Engagement(likes=50, views=1200)
    store.upsert([again])
    got = store.get(posts[0].id)
    assert store.count() == 20
    assert got.engagement.likes == 50 and got.engagement.views == 1200
    assert got.first_seen_at == first_seen  # first-seen time survives re-collection


def test_campaigns_are_unioned_on_reingest(store):
    store.upsert([make_post(1, campaigns=["asean"])])
    store.upsert([make_post(1, campaigns=["g20"])])
    assert store.get(make_post(1).id).campaigns == ["asean", "g20"]
    assert store.count(PostQuery(campaign="g20")) == 1


def test_full_text_search_with_filters_and_pagination(store):
    store.upsert([
        classified(make_post(1, "Vaksin halal sudah diumumkan MUI", platform="telegram"), "positive"),
        classified(make_post(2, "Hoaks vaksin mengandung chip beredar lagi", platform="telegram"), "negative", True),
        classified(make_post(3, "Harga beras naik di pasar induk", platform="rss", lang="id"), "negative"),
        classified(make_post(4, "Vaccine rollout in Jakarta continues", platform="mastodon", lang="en"), "neutral"),
    ])
    assert {p.native_id for p in store.search(PostQuery(text="vaksin")).posts} == {"1", "2"}
    assert [p.native_id for p in store.search(PostQuery(text="vaksin", hoax=True)).posts] == ["2"]
    assert [p.native_id for p in store.search(PostQuery(text="vaksin halal")).posts] == ["1"]
    assert store.search(PostQuery(platform="rss")).total == 1
    assert store.search(PostQuery(lang="en")).posts[0].native_id == "4"
    assert store.search(PostQuery(sentiment="negative")).total == 2
    assert store.search(PostQuery(text="tidakadakatainii")).total == 0
    page = store.search(PostQuery(), Page(offset=1, limit=2, sort="newest"))
    assert page.total == 4 and [p.native_id for p in page.posts] == ["3", "2"]


def test_hostile_query_text_is_a_query_error_at_worst(store):
    store.upsert([make_post(1, "Hoaks (lagi) soal \"vaksin\" * OR NEAR")])
    for q in ['"', "AND OR NOT", "vaksin*", "a:b", "(((", "'; DROP TABLE posts; --", "  ", "NEAR(a b)", "stems:x"]:
        try:
            store.search(PostQuery(text=q))
        except QuerySyntaxError:  # the API's 400 with the position; never a store error
            pass
    assert store.count() == 1 and store.count(PostQuery(text="near")) == 1


def test_date_range_is_half_open(store):
    store.upsert([make_post(i) for i in range(10)])  # hourly from T0
    q = PostQuery(since=T0 + timedelta(hours=2), until=T0 + timedelta(hours=5))
    assert store.count(q) == 3
    assert [p.native_id for p in store.search(q, Page(sort="oldest")).posts] == ["2", "3", "4"]


def test_sort_by_engagement(store):
    store.upsert([engaged(make_post(1), 5), engaged(make_post(2), 500), engaged(make_post(3), 50)])
    assert [p.native_id for p in store.search(PostQuery(), Page(sort="engagement")).posts] == ["2", "3", "1"]


def test_histogram_by_hour_and_day(store):
    store.upsert([make_post(i) for i in range(30)])  # 30 hourly posts from 08:00 on day 1
    days = store.histogram(PostQuery(), "day")
    assert days == [(datetime(2024, 11, 1, tzinfo=timezone.utc), 16), (datetime(2024, 11, 2, tzinfo=timezone.utc), 14)]
    hours = store.histogram(PostQuery(since=T0, until=T0 + timedelta(hours=3)), "hour")
    assert [n for _, n in hours] == [1, 1, 1] and hours[0][0] == T0


def test_histogram_days_start_at_local_midnight(store):
    """23:30 UTC is 06:30 the next day in WIB (UTC+7): the post counts on that day, not on the UTC one."""
    late = datetime(2026, 11, 20, 23, 30, tzinfo=timezone.utc)
    store.upsert([make_post(1, created_at=late), make_post(2, created_at=late - timedelta(hours=8))])
    wib = store.histogram(PostQuery(), "day", "Asia/Jakarta")
    assert [(d.isoformat(), n) for d, n in wib] == [("2026-11-20T00:00:00+07:00", 1), ("2026-11-21T00:00:00+07:00", 1)]
    assert [n for _, n in store.histogram(PostQuery(), "day", "UTC")] == [2]
    wit = store.histogram(PostQuery(), "hour", "Asia/Jayapura")  # UTC+9
    assert [d.isoformat() for d, _ in wit] == ["2026-11-21T00:00:00+09:00", "2026-11-21T08:00:00+09:00"]


def test_terms_by_field(store):
    store.upsert([
        make_post(1, platform="telegram", hashtags=["KTT", "asean"]),
        make_post(2, platform="telegram", hashtags=["ktt"], campaigns=["asean", "g20"]),
        make_post(3, platform="rss"),
    ])
    assert store.terms(PostQuery(), "platform") == [("telegram", 2), ("rss", 1)]
    assert store.terms(PostQuery(), "hashtags") == [("ktt", 2), ("asean", 1)]
    assert store.terms(PostQuery(), "campaigns") == [("asean", 3), ("g20", 1)]
    assert store.terms(PostQuery(platform="rss"), "platform") == [("rss", 1)]


def test_scan_yields_everything_in_time_order(store):
    posts = [make_post(i) for i in range(1200)]
    store.upsert(posts)
    seen = [p.native_id for p in store.scan(PostQuery())]
    assert seen == [str(i) for i in range(1200)]
    assert sum(1 for _ in store.scan(PostQuery(since=T0 + timedelta(hours=1000)))) == 200


def test_any_of_campaigns_filter_counts_each_post_once(store):
    store.upsert([make_post(1, campaigns=["asean"]), make_post(2, campaigns=["asean", "g20"]),
                  make_post(3, campaigns=["g20"]), make_post(4, campaigns=["pemilu"])])
    scoped = PostQuery(campaigns=["asean", "g20"])
    assert store.count(scoped) == 3
    assert {p.native_id for p in store.search(scoped).posts} == {"1", "2", "3"}
    assert store.terms(scoped, "campaigns") == [("asean", 2), ("g20", 2)]
    assert store.count(PostQuery(campaigns=[])) == 0
    assert store.count(PostQuery(campaigns=["g20"], campaign="asean")) == 1


def test_delete_by_campaign_untags_shared_posts(store):
    store.upsert([make_post(1, campaigns=["asean"]), make_post(2, campaigns=["asean", "g20"]),
                  make_post(3, campaigns=["g20"])])
    assert store.delete_by_campaign("asean") == 2
    assert store.count() == 2
    assert store.count(PostQuery(campaign="asean")) == 0
    assert store.get(make_post(2).id).campaigns == ["g20"]
    text = make_post(2).text.split()[0]  # a text search reads the campaigns from its own index on SQLite
    assert store.count(PostQuery(text=text, campaigns=["asean"])) == 0
    assert store.count(PostQuery(text=f"{text} campaign:g20")) == 2


def test_campaign_definitions(store):
    camp = Campaign(id="asean", name="KTT ASEAN 2023", keywords=["ktt asean"], hashtags=["#ASEAN2023"],
                    workspace="kemlu")
    store.put_campaign(camp)
    store.put_campaign(Campaign(id="g20", name="Presidensi G20", workspace="kominfo"))
    assert store.get_campaign("asean") == camp
    assert [c.id for c in store.list_campaigns()] == ["asean", "g20"]
    assert [c.id for c in store.list_campaigns("kominfo")] == ["g20"]
    assert store.remove_campaign("g20") and not store.remove_campaign("g20")
    assert store.get_campaign("g20") is None


def test_utc_instants_are_compared_not_wall_clock(store):
    wib = timezone(timedelta(hours=7))
    store.upsert([make_post(1, created_at=datetime(2024, 11, 1, 14, 0, tzinfo=wib))])  # 07:00 UTC
    assert store.count(PostQuery(until=datetime(2024, 11, 1, 7, 30, tzinfo=timezone.utc))) == 1
    assert store.get(make_post(1).id).created_at == datetime(2024, 11, 1, 7, 0, tzinfo=timezone.utc)


def test_extreme_but_valid_dates_sort_filter_and_bucket(store):
    """The ends of the date range (core/dates.py: 1970-01-01 .. 2099-12-31 UTC) sort, filter and bucket, and far
    query bounds (years 1 and 9999, where schemathesis once found a 500) still work; bounds that are not
    representable once converted to UTC are a ValueError (a 422 at the API edge)."""
    edges = [datetime(1970, 1, 1, tzinfo=timezone.utc), datetime(1999, 12, 31, 23, tzinfo=timezone.utc),
             datetime(2024, 1, 1, tzinfo=timezone.utc), datetime(2099, 12, 31, 23, 59, 59, tzinfo=timezone.utc)]
    store.upsert([make_post(i, created_at=d) for i, d in enumerate(edges)])
    assert [p.native_id for p in store.search(PostQuery(), Page(sort="oldest")).posts] == ["0", "1", "2", "3"]
    assert store.count(PostQuery(until=datetime(2000, 1, 1, tzinfo=timezone.utc))) == 2
    far = PostQuery(since=datetime(1, 1, 1, tzinfo=timezone.utc), until=datetime(9999, 12, 31, tzinfo=timezone.utc))
    assert store.count(far) == 4
    assert [d for d, _ in store.histogram(far, "day")] == [
        datetime(1970, 1, 1, tzinfo=timezone.utc), datetime(1999, 12, 31, tzinfo=timezone.utc),
        datetime(2024, 1, 1, tzinfo=timezone.utc), datetime(2099, 12, 31, tzinfo=timezone.utc)]
    for unrepresentable in (datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))),  # year 0 in UTC
                            datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-1)))):  # year 10000
        with pytest.raises(ValueError, match="range"):
            PostQuery(since=unrepresentable)


def test_empty_ids_are_absent(store):
    """`?campaign=` reaches get_campaign(""): absent on both backends (the ES client raised ValueError, a 500)."""
    assert store.get("") is None and store.get_campaign("") is None and store.remove_campaign("") is False


def test_a_post_the_backend_cannot_take_is_rejected_alone_and_the_rest_is_stored(store):
    bad = make_post(3)
    bad.id = "x" * 600  # a hand-set id over MAX_ID_BYTES: Elasticsearch would fail the whole bulk request with it
    batch = [make_post(1), make_post(2), bad, make_post(4)]
    with pytest.raises(StoreRejected) as info:
        store.upsert(batch)
    assert list(info.value.rejected) == [bad.id] and "600 bytes" in info.value.rejected[bad.id]
    assert info.value.stored == 3
    assert sorted(p.native_id for p in store.scan(PostQuery())) == ["1", "2", "4"]
    assert store.get(bad.id) is None


def test_long_keyword_values_are_stored_not_rejected(store):
    """A 40 kB url, author or link (over Lucene's 32 kB term limit) used to fail its whole Elasticsearch batch. The
    domain caps them (URL_MAX, NAME_MAX, a validation error with the field's name); values at the caps, in 4-byte
    characters, are stored and read back whole on both backends (ignore_above keeps Elasticsearch terms bounded)."""
    from pydantic import ValidationError

    from core.domain import NAME_MAX, URL_MAX, Post

    with pytest.raises(ValidationError, match="url"):
        Post.model_validate({**make_post(0).model_dump(), "url": "https://example.org/" + "a" * 40_000})
    long = "https://example.org/" + "\U0001F600" * (URL_MAX - 20)  # 16 kB of UTF-8
    name = "\U0001F600" * NAME_MAX
    posts = [make_post(i) for i in range(10)]
    posts[3].url, posts[4].author, posts[5].links, posts[6].hashtags = long, name, [long], [name]
    posts[7].native_id = long
    assert store.upsert(posts) == 10
    assert store.count() == 10
    assert store.get(posts[3].id).url == long and store.get(posts[4].id).author == name
    assert store.get(posts[5].id).links == [long] and store.get(posts[7].id).native_id == long
    assert store.count(PostQuery(author=posts[0].author)) >= 1  # short values are still indexed as terms
