"""The daily digest escapes hostile text; Kibana saved objects are well-formed and consistent."""
from __future__ import annotations

import json
import subprocess
from datetime import date
from pathlib import Path

import pytest

from dashboards.digest import render_digest
from core.domain import Campaign, Classification
from service.store.sqlite import SQLiteStore
from tests.factories import make_post

ROOT = Path(__file__).resolve().parents[2]
EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture()
def sqlite_store(tmp_path):
    store = SQLiteStore(tmp_path / "s.db")
    store.init()
    yield store
    store.close()


def test_digest_renders_and_escapes_hostile_text(sqlite_store):
    campaign = Campaign(id="vaksin", name=f"Vaksin {EVIL}", workspace="kemkes", keywords=["vaksin"],
                        key_messages=[f"Pesan {EVIL}"])
    sqlite_store.put_campaign(campaign)
    posts = [make_post(i, text=f"vaksin {i} {EVIL}", campaigns=["vaksin"], author=f"@{EVIL}", hashtags=[EVIL[:20]])
             for i in range(3)]
    posts[0].classification = Classification(sentiment="negative", hoax=True, hoax_score=0.9,
                                             matched_claim_url="javascript:alert(1)")
    posts[1].classification = Classification(sentiment="positive", hoax=True,
                                             matched_claim_url="https://cekfakta.example/1")
    sqlite_store.upsert(posts)
    html = render_digest(sqlite_store, "vaksin", date(2024, 11, 1))
    assert "<script>" not in html and "<img" not in html and "javascript:" not in html
    assert "&lt;script&gt;" in html and "Ringkasan harian" in html and "2024-11-01" in html
    assert 'href="https://cekfakta.example/1"' in html
    assert "@media print" in html
    en = render_digest(sqlite_store, campaign, date(2024, 11, 1), lang="en")
    assert "Daily digest" in en and "Suspected hoax posts" in en
    empty = render_digest(sqlite_store, campaign, date(2024, 12, 25))
    assert "<b>0</b>" in empty
    with pytest.raises(KeyError):
        render_digest(sqlite_store, "nope", date(2024, 11, 1))


def test_kibana_saved_objects_are_valid_ndjson():
    path = ROOT / "kibana" / "narrawatch.ndjson"
    lines = path.read_text(encoding="utf-8").splitlines()
    objs = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all(isinstance(o, dict) and o.get("id") and o.get("type") for o in objs)
    by_type = {}
    for o in objs:
        by_type.setdefault(o["type"], []).append(o)
    view = by_type["index-pattern"][0]
    assert view["attributes"]["title"] == "narrawatch" and view["attributes"]["timeFieldName"] == "created_at"
    ids = {o["id"] for o in objs}
    for o in objs:
        for ref in o.get("references", []):
            assert ref["id"] in ids, (o["id"], ref)
        for key in ("visState", "panelsJSON", "uiStateJSON", "optionsJSON"):
            if key in o["attributes"]:
                json.loads(o["attributes"][key])
    titles = " ".join(o["attributes"]["title"] for o in by_type["visualization"])
    assert "Sentiment" in titles and "volume" in titles
    assert len(by_type["dashboard"]) == 1
    rebuilt = subprocess.run(["python3", str(ROOT / "kibana" / "build_ndjson.py")], capture_output=True)
    assert rebuilt.returncode == 0  # the generator runs (it rewrites the same content)
    assert path.read_text(encoding="utf-8").splitlines() == lines
    assert subprocess.run(["sh", "-n", str(ROOT / "kibana" / "load.sh")]).returncode == 0
