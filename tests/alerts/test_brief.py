"""The counter-narrative brief: the key message that fits the narrative, the debunk link, the evidence figures."""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from service.alerts.brief import build_brief, evidence_summary, relevant_message, render_text
from service.config import Settings
from tests.factories import T0, make_post

DEMO = Path(__file__).parents[2] / "demo"
DEBUNK = "https://example.org/cekfakta/hotel-gratis-ktt-asean"


def demo_narratives() -> dict[str, list]:
    out: dict[str, list] = {}
    for i, line in enumerate((DEMO / "corpus.jsonl").read_text(encoding="utf-8").splitlines()):
        d = json.loads(line)
        out.setdefault(d.get("narrative"), []).append(
            make_post(i, text=d["text"], author=d["author"], created_at=T0 + timedelta(seconds=d.get("delay_seconds", i))))
    return out


def test_suggested_reply_uses_the_key_message_of_the_narrative_and_links_the_debunk():
    asean = next(c for c in Settings(config_file=DEMO / "campaigns.yaml").campaigns() if c.id == "asean")
    growth, security = asean.key_messages
    narratives = demo_narratives()
    hoax = narratives["asean_hotel_hoax"]
    hoax[0].classification.matched_claim_id, hoax[0].classification.matched_claim_url = "demo-claim-hotel-gratis", DEBUNK
    brief = build_brief(asean, hoax, {"label": "hotel gratis delegasi", "keywords": ["hotel", "gratis", "pajak"]})
    assert brief["key_message"] == 1 and brief["suggested_reply"] == f"{security} Cek fakta: {DEBUNK}"
    assert brief["debunks"][0]["url"] == DEBUNK
    assert relevant_message(asean, narratives["asean_security"]) == 1
    assert relevant_message(asean, narratives["asean_economy"]) == 0  # the growth message where it fits
    assert build_brief(asean, narratives["asean_economy"])["suggested_reply"] == growth


def test_evidence_summary_names_accounts_and_the_time_span():
    posts = [make_post(i, text="x", author=a, created_at=T0 + timedelta(minutes=m))
             for i, (a, m) in enumerate([("budi", 0), ("sari", 5), ("budi", 30)])]
    s = evidence_summary(posts)
    assert (s["posts"], s["accounts"], s["span_minutes"]) == (3, 2, 30.0)
    assert [a["author"] for a in s["top_accounts"]] == ["budi", "sari"] and s["top_accounts"][0]["posts"] == 2
    assert s["first"] == T0.isoformat() and evidence_summary([]) == {}


def test_plain_text_alert_names_the_accounts_and_carries_the_suggested_reply():
    posts = [make_post(i, text="x", author=a, created_at=T0 + timedelta(minutes=i)) for i, a in enumerate("ab")]
    alert = {"id": "a1", "severity": "high", "title": "t", "campaign": "asean", "rule": "r",
             "why": {"summary": evidence_summary(posts)}, "brief": {"suggested_reply": "Pesan. Cek fakta: https://x"}}
    text = render_text(alert)
    assert "2 post(s) from 2 account(s)" in text and "@a (mastodon, 1), @b (mastodon, 1)" in text
    assert "Suggested reply: Pesan. Cek fakta: https://x" in text
