"""The dashboards in a real browser: log in with a key, search, open a narrative, get a live alert, acknowledge it."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest

from service.api.app import create_app
from service.api.auth import AuthConfig
from tests.api.keys import keyed_client, make_key, make_settings
from tests.alerts.test_titles import english_left
from tests.browser.conftest import shot
from tests.factories import classified, make_post
from bench.loopback import serve

pytestmark = pytest.mark.browser

HOSTILE = 'Vaksin <script>window.__pwned = 1; alert("xss")</script> <img src=x onerror="window.__pwned=2">'


def _posts():
    now = datetime.now(timezone.utc).replace(microsecond=0)
    texts = [
        ("Vaksin booster aman dan halal kata Kemenkes", "positive"),
        ("Antrean vaksin booster di puskesmas panjang sekali", "negative"),
        ("Hoaks vaksin berisi microchip pelacak beredar di grup WhatsApp keluarga", "negative"),
        ("Hoaks vaksin berisi microchip pelacak beredar lagi di grup WhatsApp", "negative"),
        ("Lagi-lagi hoaks vaksin berisi microchip pelacak beredar di grup WhatsApp warga", "negative"),
        ("Program cegah stunting di desa berhasil menurunkan angka stunting", "positive"),
        ("KTT ASEAN di Jakarta berjalan lancar", "neutral"),
        (HOSTILE, "neutral"),
    ]
    return [classified(make_post(i, text=t, campaigns=[], author=f"akun{i}", created_at=now - timedelta(hours=20 - i),
                                 url="javascript:alert(1)" if "<script>" in t else f"https://example.org/{i}"),
                       s, hoax="microchip" in t)  # the pipeline classifies again on ingest
            for i, (t, s) in enumerate(texts)]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("ui"))
    app = create_app(settings, auth_config=AuthConfig(rate_per_second=1000, burst=1000))
    with serve(app) as url:
        keys = {role: make_key(settings, role, ws) for role, ws in
                [("admin", "*"), ("analyst", "kemkes"), ("pr", "kemkes"), ("leadership", "*")]}
        with keyed_client(url, keys["admin"]) as admin:
            assert admin.post("/posts", json=[p.model_dump(mode="json") for p in _posts()]).status_code == 202
            rule = {"name": "Isu mikrocip", "kind": "keyword", "campaign": "vaksin", "severity": "high",
                    "cooldown_minutes": 0, "query": {"any": ["sertifikat palsu"]}}
            r = admin.post("/rules", json=rule)
            assert r.status_code == 201, r.text
        yield {"url": url, "keys": keys, "app": app}


def login(page, url: str, key: str, next_path: str = "") -> None:
    page.goto(f"{url}/ui/login" + (f"?next={next_path}" if next_path else ""))
    page.fill("#key", key)
    page.click("#login")
    page.wait_for_load_state("domcontentloaded")


def test_login_required_and_wrong_key(page, site):
    page.goto(site["url"] + "/ui/analyst")
    assert "/ui/login" in page.url
    page.fill("#key", "nwk_000000000000_not-a-real-key-at-all-xxxxxxxx")
    page.click("#login")
    assert page.locator(".error").is_visible()
    shot(page, "login")
    cookies = page.context.cookies()
    assert not any(c["name"] == "nw_session" for c in cookies)


def test_analyst_search_escapes_hostile_text_and_exports(page, site):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    login(page, site["url"], site["keys"]["analyst"])
    assert page.url.endswith("/ui/analyst")
    cookie = next(c for c in page.context.cookies() if c["name"] == "nw_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert page.evaluate("document.cookie").find("nw_session") == -1

    page.fill("#q", "vaksin")
    page.click("#search")
    page.wait_for_selector("#results")
    rows = page.locator("#results tbody tr")
    assert int(page.locator("#total").inner_text()) == rows.count() == 6  # workspace kemkes only: no ASEAN post
    hostile = page.locator("#results tbody tr", has_text="<script>")
    assert hostile.count() == 1
    assert "<script>window.__pwned = 1;" in hostile.locator(".post-text").inner_text()
    assert page.evaluate("window.__pwned === undefined") and dialogs == []
    assert hostile.locator(".post-text a").count() == 0  # the javascript: URL is not turned into a link
    assert hostile.locator("a[href^='javascript']").count() == 0
    shot(page, "analyst-search")

    page.select_option("select[name=sentiment]", "neutral")
    page.click("#search")
    with keyed_client(site["url"], site["keys"]["analyst"]) as api:  # the pipeline re-classifies on ingest
        expected = api.get("/posts", params={"q": "vaksin", "sentiment": "neutral"}).json()["total"]
    assert expected > 0 and int(page.locator("#total").inner_text()) == expected
    href = page.get_attribute("#export-csv", "href")
    assert href.startswith("/export/posts?") and "sentiment=neutral" in href
    csv_text = page.evaluate("u => fetch(u).then(r => r.text())", href)
    assert csv_text.splitlines()[0].startswith("id,created_at") and len(csv_text.strip().splitlines()) == expected + 1

    page.goto(site["url"] + "/ui/analyst?lang=en")
    assert page.locator("h1").inner_text() == "Post search"
    page.goto(site["url"] + "/ui/analyst")  # the cookie keeps the language
    assert page.locator("h1").inner_text() == "Post search"
    page.goto(site["url"] + "/ui/analyst?lang=id")
    assert page.locator("h1").inner_text() == "Pencarian unggahan"


def test_narrative_explorer(page, site):
    login(page, site["url"], site["keys"]["analyst"], "/ui/analyst/narratives")
    assert "/ui/analyst/narratives" in page.url
    page.select_option("#campaign", "vaksin")
    page.click("form.filters button[type=submit]")
    page.wait_for_selector("#narratives-table a.narrative-link")
    shot(page, "narratives")
    page.locator("a.narrative-link").first.click()
    page.wait_for_selector("#narrative-posts li.post-item")
    assert "microchip" in page.locator("#narrative-posts").inner_text()
    page.wait_for_function("() => !!document.getElementById('timeline-chart').getAttribute('style')")
    shot(page, "narrative")


def test_pr_inbox_receives_live_alert_and_acknowledges(page, site):
    login(page, site["url"], site["keys"]["pr"])
    assert page.url.endswith("/ui/pr")
    page.wait_for_selector("#live-state.ok")
    trigger = make_post(100, text="Beredar sertifikat palsu vaksin <b>bold</b> di media sosial", campaigns=[],
                        created_at=datetime.now(timezone.utc))
    with keyed_client(site["url"], site["keys"]["admin"]) as admin:
        assert admin.post("/posts", json=[trigger.model_dump(mode="json")]).status_code == 202
    card = page.locator("article.alert[data-status=open]").first
    card.wait_for()
    assert "Isu mikrocip" in card.inner_text() or "sertifikat palsu" in card.inner_text()
    assert page.locator("article.alert b:text('bold')").count() == 0  # alert text is never parsed as HTML
    alert_id = card.get_attribute("data-id")
    shot(page, "pr-inbox")
    card.locator("button.ack").click()
    page.wait_for_selector(f"article.alert[data-id='{alert_id}'][data-status=acknowledged]")
    with keyed_client(site["url"], site["keys"]["admin"]) as admin:
        assert admin.get(f"/alerts/{alert_id}").json()["status"] == "acknowledged"
        audit = admin.get("/auth/audit").json()
        assert any(e["path"] == f"/alerts/{alert_id}/ack" and e["role"] == "pr" and e["status"] == 200
                   for e in audit)
    page.locator(f"article.alert[data-id='{alert_id}'] button.resolve").click()
    page.locator(f"article.alert[data-id='{alert_id}']").wait_for(state="detached")  # resolved: leaves the queue
    assert "selesai" in page.locator("#notices .done").first.inner_text()
    page.select_option("#queue-filters select[name=status]", "resolved")  # the filter shows it
    page.wait_for_selector(f"article.alert[data-id='{alert_id}'][data-status=resolved]")
    assert "status=resolved" in page.url
    shot(page, "pr-inbox-resolved")


def test_pr_inbox_follows_other_sessions_and_explains_stale_actions(page, site):
    """Session A (live) sees another session's resolve in place, its buttons gone; session B (stream blocked, so
    its card is stale) clicks ack and gets a readable message and the current state, not "HTTP 409"."""
    login(page, site["url"], site["keys"]["pr"])
    page.wait_for_selector("#live-state.ok")
    trigger = make_post(101, text="Sertifikat palsu vaksin dijual lagi di media sosial", campaigns=[],
                        created_at=datetime.now(timezone.utc))
    with keyed_client(site["url"], site["keys"]["admin"]) as admin:
        assert admin.post("/posts", json=[trigger.model_dump(mode="json")]).status_code == 202
        alert_id = next(a["id"] for a in admin.get("/alerts", params={"status": "open"}).json())
    card = f"article.alert[data-id='{alert_id}']"
    page.wait_for_selector(f"{card}[data-status=open] button.ack")
    stale = page.context.new_page()
    stale.route("**/alerts/stream*", lambda route: route.abort())
    stale.goto(site["url"] + "/ui/pr")
    stale.wait_for_selector(f"{card}[data-status=open] button.ack")
    with keyed_client(site["url"], site["keys"]["admin"]) as admin:
        assert admin.post(f"/alerts/{alert_id}/resolve").status_code == 200
    page.locator(card).wait_for(state="detached")  # pushed, no reload: resolved elsewhere, it leaves the queue
    stale.locator(f"{card} button.ack").click()
    stale.wait_for_selector(f"#notices .stale[data-id='{alert_id}']")
    message = stale.locator("#notices .stale").first.inner_text()
    assert "409" not in message and "selesai" in message and "test-admin-*" in message, message
    assert stale.locator(card).count() == 0
    shot(stale, "pr-inbox-stale-action")
    stale.close()


def test_alert_titles_severities_statuses_and_rules_follow_the_language(page, site):
    """Indonesian mode: every card's title, severity, status and rule kind (and the digest's alerts) in Indonesian,
    no English word of the alert wording left; EN shows the stored English title."""
    trigger = make_post(102, text="Sertifikat palsu vaksin <i>laku</i> keras", campaigns=[], author="penjual_sertif",
                        url="https://example.org/hoaks/102?a=1&b=<x>", created_at=datetime.now(timezone.utc))
    with keyed_client(site["url"], site["keys"]["admin"]) as admin:
        assert admin.post("/posts", json=[trigger.model_dump(mode="json")]).status_code == 202
    login(page, site["url"], site["keys"]["pr"])
    page.goto(site["url"] + "/ui/pr?lang=id")
    page.wait_for_selector("article.alert")
    labels = "article.alert .alert-title, article.alert .tag, article.alert .alert-meta, article.alert .why .muted"
    shown = page.locator(labels).all_inner_texts()
    assert any("cocok dengan" in x for x in shown), shown
    assert not english_left(" ".join(shown)), english_left(" ".join(shown))
    assert "kata kunci" in " ".join(shown) and ("terbuka" in shown or "selesai" in shown)
    card = page.locator("article.alert", has_text="penjual_sertif").first  # why: figures, accounts named, links
    assert card.locator(".why [data-fig=posts]").count() == 1 and card.locator(".why [data-fig=time_span]").count() == 1
    assert "@penjual_sertif" in card.locator(".why .accounts").inner_text()
    assert card.locator(f"a[rel~=noopener][href='{trigger.url}']").count() >= 1
    shot(page, "pr-inbox-id")
    page.goto(site["url"] + "/ui/pr?lang=en")
    page.wait_for_selector("article.alert")
    with keyed_client(site["url"], site["keys"]["admin"]) as admin:
        titles = {a["title"] for a in admin.get("/alerts").json()}
    english = page.locator("article.alert .alert-title").all_inner_texts()
    assert english and set(english) <= titles, (english, titles)  # the stored English title, unchanged
    assert english_left(" ".join(page.locator(labels).all_inner_texts()))
    shot(page, "pr-inbox-en")
    today = datetime.now(timezone.utc).date().isoformat()
    login(page, site["url"], site["keys"]["leadership"])
    page.goto(f"{site['url']}/ui/digest?campaign=vaksin&day={today}&lang=id")
    rows = page.locator("#alerts").inner_text()
    assert "cocok dengan" in rows and not english_left(rows), rows
    shot(page, "digest-alerts-id")


def test_officer_adds_a_debunk_on_the_pr_page_and_the_live_matcher_uses_it(page, site):
    """The PR page's form keeps a hand-made debunk (POST /claims); the next post repeating the claim is matched to
    it by the running pipeline, no restart. Bad URLs get 422, roles without claims:write 403."""
    claim = "Beredar kabar vaksin booster terbaru membuat rambut rontok permanen dalam sebulan"
    login(page, site["url"], site["keys"]["pr"])
    page.goto(site["url"] + "/ui/pr?lang=en")
    page.click("#add-claim summary")
    page.fill("#claim-form [name=title]", "[HOAKS] Vaksin booster bikin rambut rontok permanen")
    page.fill("#claim-form [name=claim]", claim)
    page.fill("#claim-form [name=url]", "https://example.org/cekfakta/rambut-rontok")
    page.click("#claim-form button[type=submit]")
    page.wait_for_selector("#claim-status:has-text('Claim saved')")
    shot(page, "pr-add-debunk")
    with keyed_client(site["url"], site["keys"]["pr"]) as pr:
        found = pr.get("/claims", params={"q": "rambut rontok"}).json()
        assert [(c["url"], c["source"]) for c in found] == [("https://example.org/cekfakta/rambut-rontok",
                                                              "manual:kemkes")]
        bad = pr.post("/claims", json={"title": "x y z", "claim": claim, "url": "javascript:alert(1)"})
        assert bad.status_code == 422
        post = make_post(103, text="Katanya vaksin booster terbaru membuat rambut rontok permanen dalam sebulan",
                         campaigns=[], created_at=datetime.now(timezone.utc))
    with keyed_client(site["url"], site["keys"]["analyst"]) as analyst:
        assert analyst.post("/claims", json={"title": "x y z", "claim": claim}).status_code == 403
    with keyed_client(site["url"], site["keys"]["admin"]) as admin:
        assert admin.post("/posts", json=[post.model_dump(mode="json")]).status_code == 202
        stored = admin.get(f"/posts/{post.id}").json()["classification"]
    assert stored["matched_claim_id"] == found[0]["id"] and stored["matched_claim_url"] == found[0]["url"]


def test_leadership_page_and_digest(page, site):
    login(page, site["url"], site["keys"]["leadership"])
    assert page.url.endswith("/ui/leadership")
    page.wait_for_function("() => !!document.querySelector('canvas.sentiment-chart').getAttribute('style')")
    assert page.locator("canvas.sentiment-chart").count() == 3
    assert "Vaksinasi nasional" in page.locator("table.data").inner_text()
    shot(page, "leadership")
    page.emulate_media(media="print")
    assert not page.locator("header.top").is_visible()
    shot(page, "leadership-print")
    page.emulate_media(media="screen")
    today = datetime.now(timezone.utc).date().isoformat()
    page.goto(f"{site['url']}/ui/digest?campaign=vaksin&day={today}&lang=en")
    assert "Daily digest: Vaksinasi nasional" in page.locator("h1").inner_text()
    assert page.evaluate("window.__pwned === undefined")
    shot(page, "digest")
    page.goto(site["url"] + "/ui/pr")  # leadership may not open the PR inbox
    assert page.locator(".error").is_visible()
    with httpx.Client(base_url=site["url"]) as anon:
        assert anon.get("/ui/leadership", follow_redirects=False).status_code == 303
