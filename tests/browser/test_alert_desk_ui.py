"""The PR alert desk in Chromium: the queue's filters, one card per incident (a coordinated burst, a hoax spreading
and a keyword alert about one narrative) whose count follows a reworded post live, an expanded card assigned to a user of the
workspace with notes (one from another officer arriving live), and the counter-message sent with its impact."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from service.api.app import create_app
from service.api.auth import AuthConfig
from tests.api.keys import keyed_client, make_key, make_settings
from tests.browser.conftest import shot
from tests.browser.test_dashboards import login
from tests.factories import make_post
from bench.loopback import serve

pytestmark = pytest.mark.browser

TEXT = "Awas chip pelacak disuntikkan lewat vaksin booster di puskesmas, sebarkan sebelum dihapus"


def _post(n: int, text: str, author: str, at: datetime, campaign: str) -> dict:
    return make_post(n, text=text, author=author, platform="twitter", created_at=at,
                     url=f"https://x.com/{author}/status/{n}").model_dump(mode="json") | {"campaigns": [campaign]}


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("desk"))
    app = create_app(settings, auth_config=AuthConfig(rate_per_second=1000, burst=1000))
    with serve(app) as url:
        keys = {"pr": make_key(settings, "pr", "kemkes", name="Rina (humas)"),
                "pr2": make_key(settings, "admin", "kemkes", name="Budi (humas)"),
                "other": make_key(settings, "pr", "kemlu", name="Sari (kemlu)"),
                "admin": make_key(settings, "admin", "*")}
        with keyed_client(url, keys["admin"]) as admin:
            for body in ({"name": "chip vaksin", "campaign": "vaksin", "severity": "medium",
                          "query": {"any": ["chip"]}},
                         {"name": "koordinasi vaksin", "campaign": "vaksin", "kind": "coordinated", "severity": "high",
                          "thresholds": {"window_minutes": 10, "min_accounts": 3}},
                         {"name": "hoaks vaksin", "campaign": "vaksin", "kind": "hoax_match", "severity": "high"},
                         {"name": "keluhan stunting", "campaign": "stunting", "severity": "low",
                          "query": {"any": ["posyandu tutup"]}}):
                assert admin.post("/rules", json=body).status_code == 201
            start = datetime.now(timezone.utc) - timedelta(minutes=50)
            posts = [_post(i, TEXT, f"akun{i}", start + timedelta(minutes=i), "vaksin") for i in range(4)]
            posts.append(_post(20, "Posyandu tutup lagi minggu ini, anak belum ditimbang", "ibu_ani",
                               start + timedelta(minutes=5), "stunting"))
            assert admin.post("/posts", json=posts).status_code == 202
        yield {"url": url, "keys": keys, "start": start}


def test_alert_desk_queue_incident_assignee_notes_and_impact(page, desk):
    url, keys = desk["url"], desk["keys"]
    login(page, url, keys["pr"])
    page.goto(url + "/ui/pr?lang=en")
    page.wait_for_selector("#live-state.ok")
    cards = page.locator("#inbox article.alert")
    cards.nth(1).wait_for()
    # one card per incident, most severe first: the coordinated burst leads its narrative's card
    assert cards.count() == 2
    incident = page.locator("article.alert[data-count='3']")
    assert cards.first.get_attribute("data-incident") == incident.get_attribute("data-incident")
    assert incident.get_attribute("data-severity") == "high" and "+2" in incident.locator(".tag.linked").inner_text()
    # filters: severity, rule, campaign (kept in the URL), and back
    page.select_option("#queue-filters select[name=severity]", "low")
    expect(page.locator("#inbox article.alert[data-severity='low']")).to_have_count(1)
    expect(cards).to_have_count(1)
    assert "Posyandu" in cards.first.inner_text() or "keluhan stunting" in cards.first.inner_text()
    assert "severity=low" in page.url
    shot(page, "desk-queue-filters")
    page.select_option("#queue-filters select[name=severity]", "")
    page.select_option("#queue-filters select[name=campaign]", "vaksin")
    expect(page.locator("#inbox article.alert[data-count='3']")).to_have_count(1)
    expect(cards).to_have_count(1)
    page.select_option("#queue-filters select[name=campaign]", "")
    cards.nth(1).wait_for()

    # expand the incident: both alerts inside; a reworded post joins the keyword alert live (4 -> 5 posts)
    incident.locator("header").click()
    members = incident.locator(".members .member-title")
    members.nth(2).wait_for()
    titles = " | ".join(members.all_inner_texts())
    assert "Coordinated posting" in titles and "Hoax spreading: 4 post(s)" in titles and "matched 4 post(s)" in titles
    reworded = "Awas, chip pelacak disuntikkan lewat vaksin booster di puskesmas! Sebarkan sebelum dihapus ya"
    with keyed_client(url, keys["admin"]) as admin:
        assert admin.post("/posts", json=[_post(9, reworded, "akun9", desk["start"] + timedelta(minutes=30),
                                                "vaksin")]).status_code == 202
    expect(members.filter(has_text="matched 5 post(s)")).to_have_count(1)
    expect(members.filter(has_text="Hoax spreading: 5 post(s)")).to_have_count(1)
    assert page.locator("#inbox article.alert").count() == 2  # joined, no new card
    shot(page, "desk-incident")

    # assign to a user of the workspace (only kemkes's users are offered), then notes; another officer's note
    # arrives live
    select = incident.locator("select.assignee-select")
    select.locator("option").nth(1).wait_for(state="attached")
    offered = select.locator("option").all_inner_texts()
    assert sorted(offered) == ["Budi (humas)", "Rina (humas)"], offered
    select.select_option("Budi (humas)")
    incident.locator("button.assign-btn").click()
    page.wait_for_selector("article.alert[data-count='3'] .tag.assignee")
    assert "Budi (humas)" in incident.locator(".tag.assignee").inner_text()
    assert incident.get_attribute("data-status") == "assigned"
    incident.locator("textarea.note-text").fill("Akun-akun ini dibuat minggu lalu; <b>cek</b> pola jamnya")
    incident.locator("button.add-note").click()
    incident.locator(".notes li").first.wait_for()
    lead = incident.get_attribute("data-id")
    with keyed_client(url, keys["pr2"]) as other:
        assert other.post(f"/alerts/{lead}/notes", json={"text": "Sudah koordinasi dengan Kominfo"}).status_code == 201
    expect(incident.locator(".notes li")).to_have_count(2)
    notes = incident.locator(".notes li").all_inner_texts()
    assert "Rina (humas)" in notes[0] and "<b>cek</b>" in notes[0] and "Budi (humas)" in notes[1], notes
    assert incident.locator(".notes b").count() == 0  # note text is never parsed as HTML
    assert incident.locator("textarea.note-text").input_value() == ""  # posted: the box starts empty again
    shot(page, "desk-card-assignee-notes")

    # the counter-message sent, and the narrative's volume and sentiment before vs after it (WIB windows)
    incident.locator("textarea.response-text").fill("Vaksin booster tidak berisi chip. Cek kemkes.go.id")
    incident.locator("input.response-channel").fill("X")
    incident.locator("input.response-url").fill("https://x.com/kemkes/status/1")
    incident.locator("button.record-response").click()
    incident.locator(".impact-table").wait_for()
    rows = incident.locator(".impact-table tr")
    assert rows.count() == 3 and rows.nth(1).locator("td.posts").inner_text() == "5"
    assert "WIB" in incident.locator(".impact-entry .muted").inner_text()
    chart = incident.locator("canvas.impact-chart")  # the impact on a real time axis, the reply time marked
    chart.wait_for()
    drawn = chart.evaluate("""c => { const ch = Chart.getChart(c); return ch && {labels: ch.data.labels.length,
        posts: ch.data.datasets[0].data.reduce((a, b) => a + b, 0), types: ch.data.datasets.map(d => d.type),
        reply: ch.options.plugins.replyLine.index, height: c.height}; }""")
    assert drawn and drawn["labels"] == 24 and drawn["posts"] == 5 and drawn["reply"] == 12, drawn
    assert drawn["types"] == ["bar", "line"] and drawn["height"] > 100
    assert "before and after the reply (WIB)" in chart.get_attribute("aria-label")
    assert incident.locator(".responses a[href='https://x.com/kemkes/status/1']").count() == 1
    shot(page, "desk-impact")
    page.goto(url + "/ui/pr?lang=id")  # the desk in Indonesian: the same card, its labels translated
    incident.locator("header").click()
    incident.locator(".impact-table").wait_for()
    assert "peringatan terkait" in incident.locator(".tag.linked").inner_text()
    assert "Sebelum" in incident.locator(".impact-table").inner_text() and "WIB" in incident.inner_text()
    assert "Catat pesan terkirim" in incident.locator("button.record-response").inner_text()
    shot(page, "desk-impact-id")
    with keyed_client(url, keys["admin"]) as admin:
        trail = [(e["action"], e["actor"]) for e in admin.get(f"/alerts/{lead}").json()["audit"]]
    assert {("assign", "Rina (humas)"), ("note", "Rina (humas)"), ("note", "Budi (humas)"),
            ("response", "Rina (humas)")} <= set(trail), trail
