"""Leadership page (headline figures, real time axis, one colour per campaign, time zones, digest + PDF) and the admin
pages (campaigns, rules, keys, saved searches, sources, audit log) in the real browser, at 1366x900."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest

from service.api.app import create_app
from service.api.auth import AuthConfig
from service.store.sources import SourceState
from tests.api.keys import keyed_client, make_key, make_settings
from tests.browser.conftest import ROOT, shot
from tests.browser.test_dashboards import login
from tests.factories import make_post
from bench.loopback import serve

pytestmark = pytest.mark.browser


def _posts():
    """Three weeks of both campaigns, with quiet days (no post) in between and a burst of copies."""
    now = datetime.now(timezone.utc).replace(microsecond=0)
    out = []
    for day in range(0, 21):
        if day % 4 == 3:
            continue  # a quiet day: drawn at zero
        for i in range(1 + day % 3):
            out.append(make_post(day * 10 + i, campaigns=[], author=f"warga{i}",
                                 text=f"KTT ASEAN hari {day}: jalan ditutup, macet parah {i}",
                                 created_at=now - timedelta(days=day, hours=i)))
        out.append(make_post(500 + day, campaigns=[], author=f"ibu{day}", text=f"Vaksin booster aman {day}",
                             created_at=now - timedelta(days=day, hours=3)))
    out += [make_post(900 + i, campaigns=[], author=f"bot{i}", created_at=now - timedelta(hours=2, minutes=i),
                      text="AWAS chip di vaksin booster, sebarkan sebelum dihapus!") for i in range(4)]
    return out


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("lead-admin"))
    app = create_app(settings, auth_config=AuthConfig(rate_per_second=1000, burst=1000))
    with serve(app) as url:
        keys = {role: make_key(settings, role, "*") for role in ("admin", "leadership", "analyst", "pr")}
        with keyed_client(url, keys["admin"]) as admin:
            assert admin.post("/rules", json={"name": "Isu chip vaksin", "campaign": "vaksin", "severity": "critical",
                                              "cooldown_minutes": 0, "query": {"any": ["chip"]}}).status_code == 201
            assert admin.post("/posts", json=[p.model_dump(mode="json") for p in _posts()]).status_code == 202
            assert admin.post("/saved-searches", json={"name": "Hoaks chip", "query": "chip OR microchip",
                                                       "filters": {"campaign": "vaksin"}}).status_code == 201
        state = SourceState.open(settings)  # what a worker would have recorded: one healthy, one failing source
        state.record_attempt("rss-antara", "rss")
        state.commit_batch("rss-antara", {"etag": "x"}, 42)
        state.record_success("rss-antara", 0)
        state.record_attempt("telegram-hoaks", "telegram")
        state.record_failure("telegram-hoaks", "HTTP 429 Too Many Requests", 1, 0)
        state.close()
        yield {"url": url, "keys": keys, "settings": settings}


def _chart(page, canvas_id: str) -> dict:
    return page.evaluate("""id => { const c = Chart.getChart(document.getElementById(id));
        return {labels: c.data.labels, tension: c.options.elements.line.tension,
                sets: c.data.datasets.map(d => ({label: d.label, data: d.data, colour: d.backgroundColor}))}; }""",
                         canvas_id)


def test_leadership_headline_time_axis_colours_and_time_zone(page, site):
    login(page, site["url"], site["keys"]["leadership"])
    page.goto(site["url"] + "/ui/leadership?period=month&lang=en")
    page.wait_for_function("() => Chart.getChart(document.getElementById('hoax-chart'))")
    with httpx.Client(base_url=site["url"], headers={"X-API-Key": site["keys"]["leadership"]}) as api:
        head = api.get("/summary/headline", params={"period": "month"}).json()
    kpis = page.locator("#headline .kpi b").all_inner_texts()
    assert kpis[0] == str(head["totals"]["mentions"]) and kpis[4] == str(head["totals"]["critical_alerts"])
    assert head["totals"]["critical_alerts"] == 1  # the chip burst fired the critical rule
    rows = page.locator("#headline-campaigns tbody tr").all_inner_texts()
    assert any("KTT ASEAN" in r for r in rows) and any("Vaksinasi" in r for r in rows)

    mentions = _chart(page, "mentions-chart")
    first, last = head["period"]["start"], head["period"]["end"]
    days = (datetime.fromisoformat(last) - datetime.fromisoformat(first)).days + 1
    assert len(mentions["labels"]) == days and mentions["labels"][0] == first  # every day of the month
    asean = next(s for s in mentions["sets"] if s["label"] == "KTT ASEAN")
    assert 0 in asean["data"] and sum(asean["data"]) == next(
        c["mentions"] for c in head["campaigns"] if c["campaign"] == "asean")  # quiet days at zero, none lost
    assert mentions["tension"] == 0  # straight segments: no curve below a real value
    share, hoax = _chart(page, "share-chart"), _chart(page, "hoax-chart")
    colours = {s["label"]: s["colour"] for s in mentions["sets"]}
    assert dict(zip(share["labels"], share["sets"][0]["colour"])) == colours  # one colour per campaign
    assert {s["label"]: s["colour"] for s in hoax["sets"]} == colours and len(set(colours.values())) == 3
    assert page.locator("main").bounding_box()["width"] > 1300  # full width at 1366
    shot(page, "leadership-month")

    page.click("header .zones a[data-tz='Asia/Jayapura']")
    page.wait_for_load_state("domcontentloaded")
    assert "(WIT)" in page.locator("h1 .period-label").inner_text()
    page.goto(site["url"] + "/ui/leadership?period=week")  # the choice is kept (cookie)
    assert "(WIT)" in page.locator("h1 .period-label").inner_text()
    page.wait_for_function("() => Chart.getChart(document.getElementById('mentions-chart'))")
    assert len(_chart(page, "mentions-chart")["labels"]) == 7
    shot(page, "leadership-week-wit")

    page.goto(site["url"] + "/ui/digest?campaign=vaksin&period=week&tz=Asia/Jakarta&lang=id")
    assert "Ringkasan mingguan: Vaksinasi nasional" in page.locator("h1").inner_text()
    assert "×4 · 4 akun" in page.locator("body").inner_text()  # the burst of copies, one row
    assert "Isu chip vaksin" in page.locator("#alerts").inner_text()
    shot(page, "digest-week")
    pdf = page.request.get(site["url"] + "/ui/digest?campaign=vaksin&period=week&format=pdf")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    (ROOT / "test-artifacts" / "digest-week.pdf").write_bytes(pdf.body())


def test_admin_manages_campaigns_rules_keys_and_reads_sources_and_audit(page, site):
    page.on("dialog", lambda d: d.accept())
    login(page, site["url"], site["keys"]["admin"])
    page.goto(site["url"] + "/ui/admin/campaigns")
    page.fill("#campaign-form input[name=id]", "pemilu")
    page.fill("#campaign-form input[name=name]", "Pemilu damai")
    page.fill("#campaign-form input[name=workspace]", "kpu")
    page.fill("#campaign-form input[name=keywords]", "pemilu, tps, surat suara")
    page.fill("#campaign-form textarea[name=key_messages]", "Pemilu aman\nCek fakta di kpu.go.id")
    page.click("#campaign-form button[type=submit]")
    page.wait_for_selector("#campaigns tr[data-id=pemilu]")
    assert "pemilu, tps, surat suara" in page.locator("#campaigns tr[data-id=pemilu]").inner_text()
    page.click("#campaigns tr[data-id=pemilu] a.edit")
    page.fill("#campaign-form input[name=name]", "Pemilu damai 2029")
    page.click("#campaign-form button[type=submit]")
    page.wait_for_selector("#campaigns tr[data-id=pemilu] >> text=Pemilu damai 2029")
    page.fill("#campaign-form input[name=id]", "asean")  # taken: the API's refusal is shown, nothing changes
    page.fill("#campaign-form input[name=name]", "Duplikat")
    page.fill("#campaign-form input[name=workspace]", "kemlu")
    page.click("#campaign-form button[type=submit]")
    page.wait_for_selector("#campaign-form .status.error")
    assert "409" in page.locator("#campaign-form .status").inner_text()
    shot(page, "admin-campaigns")
    page.click("#campaigns tr[data-id=pemilu] button.danger")
    page.wait_for_selector("#campaigns tr[data-id=pemilu]", state="detached")

    page.click("#tab-rules")
    page.fill("#rule-form input[name=name]", "Isu surat suara")
    page.select_option("#rule-form select[name=campaign]", "asean")
    page.select_option("#rule-form select[name=severity]", "high")
    page.fill("#rule-form input[name='query.any']", "surat suara tercoblos, kotak suara hilang")
    page.click("#rule-form button[type=submit]")
    page.wait_for_selector("#rules >> text=Isu surat suara")
    assert "surat suara tercoblos, kotak suara hilang" in page.locator("#rules").inner_text()
    shot(page, "admin-rules")

    page.click("#tab-keys")
    page.fill("#key-form input[name=name]", "Humas Kemkes")
    page.select_option("#key-form select[name=role]", "pr")
    page.fill("#key-form input[name=workspace]", "kemkes")
    page.click("#key-form button[type=submit]")
    secret = page.locator("#key-form [data-role=secret]")
    secret.wait_for()
    token = secret.inner_text()
    assert token.startswith("nwk_")
    shot(page, "admin-keys-created")
    with httpx.Client(base_url=site["url"], headers={"X-API-Key": token}) as new_key:
        assert new_key.get("/auth/whoami").json()["role"] == "pr"
        page.goto(site["url"] + "/ui/admin/keys")
        row = page.locator("#keys tr", has_text="Humas Kemkes")
        row.locator("button.danger").click()
        page.wait_for_selector("#keys tr.revoked >> text=Humas Kemkes")
        assert new_key.get("/auth/whoami").status_code == 401  # revoked for real
    shot(page, "admin-keys")

    page.click("#tab-searches")
    assert "chip OR microchip" in page.locator("#searches").inner_text()
    shot(page, "admin-searches")
    page.click("#tab-sources")
    health = page.locator("#sources").inner_text()
    assert "rss-antara" in health and "42" in health and "HTTP 429" in health
    assert page.locator("#sources .tag.unhealthy").count() == 1
    shot(page, "admin-sources")
    page.click("#tab-audit")
    page.select_option("#audit-filter select[name=method]", "DELETE")
    page.click("#audit-filter button[type=submit]")
    rows = page.locator("#audit tbody").inner_text()
    assert "/campaigns/pemilu" in rows and "/auth/keys/" in rows and "/rules" not in rows
    shot(page, "admin-audit")


@pytest.mark.parametrize("role", ["leadership", "analyst", "pr"])
def test_other_roles_see_no_admin_page(page, site, role):
    login(page, site["url"], site["keys"][role])
    assert page.locator("header nav a", has_text="Admin").count() == 0
    page.goto(site["url"] + "/ui/admin/keys")
    assert page.locator(".error").is_visible() and page.locator("#keys").count() == 0
    if role == "pr":
        shot(page, "admin-forbidden")
