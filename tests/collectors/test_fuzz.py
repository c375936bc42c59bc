"""Fuzz every parser with mutated real-shaped payloads: no crash, bad items become rejects with a reason."""
import json

import pytest

from hypothesis import HealthCheck, given, settings, strategies as st

from collectors.bluesky import parse_frame
from collectors.gdelt import parse_artlist
from collectors.mastodon import parse_statuses
from collectors.rss import parse_claimreview, parse_feed
from collectors.telegram import parse_channel_page
from collectors.youtube import parse_comment_threads
from core.domain import Campaign
from tests.collectors.conftest import FIXTURES, fixture_text

CAMPAIGNS = [Campaign(id="vaksin", name="Vaksin", keywords=["vaksin halal"], hashtags=["vaksinhalal"])]
FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))


def mutate_bytes(data: bytes, cut: int, flips: list[tuple[int, int]]) -> bytes:
    b = bytearray(data[: max(0, min(len(data), cut))] if cut >= 0 else data)
    for pos, val in flips:
        if b:
            b[pos % len(b)] = val
    return bytes(b)


byte_mutations = st.tuples(st.integers(-1, 20000), st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=20))

json_values = st.recursive(st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=True) | st.text(max_size=30),
                           lambda ch: st.lists(ch, max_size=3) | st.dictionaries(st.text(max_size=8), ch, max_size=3), max_leaves=8)


def mutate_json(obj, path_choices: list[int], value, delete: bool):
    """Replace (or delete) one node picked by walking `path_choices` through the structure."""
    obj = json.loads(json.dumps(obj))
    parent, key, node = None, None, obj
    for choice in path_choices:
        if isinstance(node, dict) and node:
            k = sorted(node)[choice % len(node)]
            parent, key, node = node, k, node[k]
        elif isinstance(node, list) and node:
            i = choice % len(node)
            parent, key, node = node, i, node[i]
        else:
            break
    if parent is None:
        return value
    if delete and isinstance(parent, dict):
        parent.pop(key, None)
    else:
        parent[key] = value
    return obj


json_mutations = st.tuples(st.lists(st.integers(0, 50), min_size=1, max_size=6), json_values, st.booleans())


def check(parsed):
    assert all(isinstance(r.reason, str) and r.reason for r in parsed.rejects)
    for p in parsed.posts:
        assert p.text and p.native_id and p.created_at.tzinfo is not None


@FUZZ
@given(byte_mutations)
def test_fuzz_rss_bytes(m):
    for name in ("rss_antaranews.xml", "rss_turnbackhoax.xml"):
        data = mutate_bytes((FIXTURES / name).read_bytes(), *m)
        check(parse_feed(data, source="rss:x", campaigns=CAMPAIGNS, factcheck=True))


@FUZZ
@given(byte_mutations)
def test_fuzz_telegram_html(m):
    data = mutate_bytes((FIXTURES / "telegram_kompascom.html").read_bytes(), *m).decode("utf-8", "replace")
    parsed = parse_channel_page(data, source="telegram:kompascom", campaigns=CAMPAIGNS)
    check(parsed)
    assert len(parsed.posts) + len(parsed.rejects) <= len(parsed.extra["ids"]) + 1


@FUZZ
@given(byte_mutations)
def test_fuzz_claimreview_html(m):
    data = mutate_bytes((FIXTURES / "claimreview_article.html").read_bytes(), *m).decode("utf-8", "replace")
    for r in parse_claimreview(data):
        assert isinstance(r["claim"], str) and r["claim"]


@FUZZ
@given(json_mutations, byte_mutations)
def test_fuzz_mastodon(jm, bm):
    data = json.loads(fixture_text("mastodon_tag_newest.json"))
    check(parse_statuses(mutate_json(data, *jm), source="mastodon:m", campaigns=CAMPAIGNS))
    raw = mutate_bytes(json.dumps(data).encode(), *bm).decode("utf-8", "replace")
    parsed = parse_statuses(raw, source="mastodon:m", campaigns=CAMPAIGNS)
    check(parsed)


@FUZZ
@given(json_mutations, byte_mutations)
def test_fuzz_jetstream(jm, bm):
    for line in fixture_text("jetstream_frames.jsonl").splitlines()[:3]:
        try:
            frame = json.loads(line)
        except ValueError:
            continue
        for candidate in (mutate_json(frame, *jm), mutate_bytes(line.encode(), *bm)):
            post, reject, t = parse_frame(candidate, source="bluesky:j", campaigns=CAMPAIGNS, terms=["vaksin"])
            assert post is None or reject is None
            if reject is not None:
                assert reject.reason
            if t is not None:
                assert isinstance(t, int) and t >= 0


@FUZZ
@given(json_mutations, byte_mutations)
def test_fuzz_youtube(jm, bm):
    data = json.loads(fixture_text("youtube_comment_threads_p1.json"))
    check(parse_comment_threads(mutate_json(data, *jm), source="youtube:c", campaigns=CAMPAIGNS))
    raw = mutate_bytes(json.dumps(data).encode(), *bm)
    check(parse_comment_threads(raw, source="youtube:c", campaigns=CAMPAIGNS))


@FUZZ
@given(json_mutations, byte_mutations)
def test_fuzz_gdelt(jm, bm):
    text = fixture_text("gdelt_artlist.json")
    check(parse_artlist(mutate_bytes(text.encode(), *bm), source="gdelt:doc", campaigns=CAMPAIGNS))
    from collectors.gdelt import loads_lenient
    data = loads_lenient(text)
    check(parse_artlist(json.dumps(mutate_json(data, *jm)), source="gdelt:doc", campaigns=CAMPAIGNS))


def test_malformed_items_reach_quarantine_file(tmp_path):
    """End to end: a collector fed a mutated page keeps going; the bad item lands in quarantine with a reason."""
    import httpx
    from collectors.http import HttpClient
    from collectors.mastodon import MastodonCollector
    from core.quarantine import read_quarantine
    from collectors.scheduler import run
    from tests.factories import source_state

    data = json.loads(fixture_text("mastodon_tag_newest.json"))
    data[1]["created_at"] = "not a date"
    data[2] = "garbage"
    http = HttpClient(transport=httpx.MockTransport(lambda r: httpx.Response(200, json=data)), sleep=lambda s: None, host_delay=0)
    sunk = []
    c = MastodonCollector(instance="mastodon.social", tags=["vaksinhalal"], campaigns=CAMPAIGNS, http=http)
    res = run([c], CAMPAIGNS, sunk.extend, None, state=source_state(tmp_path),
              quarantine_path=tmp_path / "quarantine" / "collectors.jsonl", once=True)
    assert res[0]["ok"] and len(sunk) == 3
    q = read_quarantine(tmp_path / "quarantine" / "collectors.jsonl")
    assert sorted(r["reason"] for r in q) == ["missing or unparseable date", "status is not an object"]
    assert all(r["source"] == "mastodon:mastodon.social" for r in q)


@pytest.mark.parametrize(("parse", "wrong", "reason"), [
    ("collectors.mastodon:parse_statuses", '{"error": "x"}', "timeline is not a JSON array"),
    ("collectors.x:parse_tweets", "[1, 2]", "response is not a JSON object"),
    ("collectors.youtube:parse_comment_threads", '"text"', "response is not a commentThreadListResponse"),
    ("collectors.youtube:parse_search_results", "[]", "response is not a searchListResponse"),
])
def test_a_response_of_the_wrong_json_type_is_unparseable_with_its_reason(parse, wrong, reason):
    import importlib

    module, name = parse.split(":")
    out = getattr(importlib.import_module(module), name)(wrong, source="s", campaigns=[])
    assert out.extra.get("unparseable") and out.posts == [] and [r.reason for r in out.rejects] == [reason]
