"""Leadership figures over real HTTP: headline numbers per period, local-time day boundaries, digests of a period."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.factories import make_post

WED = datetime(2026, 11, 18, 5, 0, tzinfo=timezone.utc)  # Wednesday 12:00 WIB; its ISO week is 16..22 Nov


def _send(api, posts) -> None:
    r = api.admin.post("/posts", json=[p.model_dump(mode="json") for p in posts])
    assert r.status_code == 202, r.text


def _week_posts():
    """This week: 6 ASEAN posts (3 of them 'chip' hoax-bait), 2 vaccine posts; the week before: 4 ASEAN posts."""
    now = [make_post(i, campaigns=[], text=f"KTT ASEAN hari ke-{i} berjalan lancar dan aman",
                     created_at=WED + timedelta(hours=i)) for i in range(3)]
    now += [make_post(10 + i, campaigns=[], text=f"Awas chip disebar saat KTT ASEAN nomor {i}", author=f"akun{i}",
                      created_at=WED + timedelta(hours=5 + i)) for i in range(3)]
    now += [make_post(20 + i, campaigns=[], text=f"Vaksin booster gratis di puskesmas {i}",
                      created_at=WED + timedelta(days=1, hours=i)) for i in range(2)]
    before = [make_post(30 + i, campaigns=[], text=f"Persiapan KTT ASEAN pekan lalu {i}",
                        created_at=WED - timedelta(days=7, hours=i)) for i in range(4)]
    return now + before


def test_headline_figures_of_a_week(api):
    admin = api.admin
    r = admin.post("/rules", json={"name": "chip", "campaign": "asean", "severity": "critical", "cooldown_minutes": 0,
                                   "query": {"any": ["chip"]}})
    assert r.status_code == 201, r.text
    _send(api, _week_posts())
    lead = api.as_("leadership", "*")
    h = lead.get("/summary/headline", params={"period": "week", "day": "2026-11-20", "tz": "Asia/Jakarta",
                                              "campaign": ["asean", "vaksin"]})
    assert h.status_code == 200, h.text
    h = h.json()
    assert (h["period"]["start"], h["period"]["end"]) == ("2026-11-16", "2026-11-22")
    assert (h["previous"]["start"], h["previous"]["end"]) == ("2026-11-09", "2026-11-15")
    assert h["period"]["since"] == "2026-11-15T17:00:00Z"  # Monday 00:00 WIB
    asean, vaksin = h["campaigns"]
    assert (asean["mentions"], asean["previous_mentions"], asean["change_pct"]) == (6, 4, 50.0)
    assert (vaksin["mentions"], vaksin["previous_mentions"], vaksin["change_pct"]) == (2, 0, None)
    assert asean["share_of_voice"] == 0.75 and vaksin["share_of_voice"] == 0.25
    stored = admin.get("/posts", params={"campaign": "asean", "since": h["period"]["since"],
                                         "until": h["period"]["until"], "limit": 50}).json()["posts"]
    pos = sum(p["classification"]["sentiment"] == "positive" for p in stored)
    neg = sum(p["classification"]["sentiment"] == "negative" for p in stored)
    assert asean["net_sentiment"] == round((pos - neg) / 6 * 100, 1)
    assert asean["positive"] + asean["neutral"] + asean["negative"] <= 6
    assert asean["open_alerts"] == 1 and asean["critical_alerts"] == 1 and vaksin["open_alerts"] == 0
    t = h["totals"]
    assert (t["mentions"], t["previous_mentions"], t["change_pct"], t["open_alerts"]) == (8, 4, 100.0, 1)
    # the alert was raised now (the posts are older): new today, not in that week, open whatever the period
    assert t["new_alerts"] == 0
    now = lead.get("/summary/headline", params={"period": "day"}).json()  # today in WIB
    assert (now["totals"]["new_alerts"], now["totals"]["open_alerts"], now["totals"]["critical_alerts"]) == (1, 1, 1)
    alert = admin.get("/alerts", params={"campaign": "asean"}).json()[0]
    assert admin.post(f"/alerts/{alert['id']}/resolve", json={}).status_code == 200
    after = lead.get("/summary/headline", params={"period": "day"}).json()
    assert (after["totals"]["new_alerts"], after["totals"]["open_alerts"], after["totals"]["critical_alerts"]) == \
        (1, 0, 0)
    month = lead.get("/summary/headline", params={"period": "month", "day": "2026-11-20"}).json()
    assert (month["period"]["start"], month["previous"]["start"], month["previous"]["end"]) == \
        ("2026-11-01", "2026-10-01", "2026-10-31")
    assert month["totals"]["mentions"] == 12
    # a key of one workspace gets its own campaigns only; bad periods and zones are 422, never 500
    kemkes = api.as_("leadership", "kemkes")
    assert [c["campaign"] for c in kemkes.get("/summary/headline").json()["campaigns"]] == ["stunting", "vaksin"]
    assert kemkes.get("/summary/headline", params={"campaign": "asean"}).status_code == 404
    for bad in ({"period": "year"}, {"tz": "Asia/Tokyo"}, {"day": "2026-13-01"}, {"day": "0001-01-01"},
                {"period": "month", "day": "9999-12-31"}):
        r = lead.get("/summary/headline", params=bad)
        assert r.status_code == 422, (bad, r.text)


def test_days_start_at_midnight_in_the_chosen_zone(api):
    """A post at 23:30 UTC on the 20th is on the 21st in WIB (UTC+7), WITA and WIT; on the 20th in UTC."""
    late = datetime(2026, 11, 20, 23, 30, tzinfo=timezone.utc)
    _send(api, [make_post(1, campaigns=[], text="KTT ASEAN malam ini", created_at=late),
                make_post(2, campaigns=[], text="KTT ASEAN sore ini", created_at=late - timedelta(hours=10))])
    lead = api.as_("leadership", "*")

    def day_count(day: str, tz: str | None) -> int:
        params = {"period": "day", "day": day, "campaign": "asean"} | ({"tz": tz} if tz else {})
        return lead.get("/summary/headline", params=params).json()["totals"]["mentions"]

    assert (day_count("2026-11-20", "UTC"), day_count("2026-11-21", "UTC")) == (2, 0)
    for tz in ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura", None):  # None: the default zone, WIB
        assert (day_count("2026-11-20", tz), day_count("2026-11-21", tz)) == (1, 1), tz
    series = lead.get("/summary/sentiment", params={"campaign": "asean", "since": "2026-11-19T17:00:00Z",
                                                    "until": "2026-11-22T17:00:00Z"}).json()
    buckets = [(b["bucket"], b["total"]) for b in series["campaigns"][0]["series"]]
    assert buckets == [("2026-11-20T00:00:00+07:00", 1), ("2026-11-21T00:00:00+07:00", 1),
                       ("2026-11-22T00:00:00+07:00", 0)]  # the empty day is on the axis, as zero
    utc = lead.get("/summary/hoax-trend", params={"campaign": "asean", "tz": "UTC"}).json()
    assert [(b["bucket"], b["total"]) for b in utc["campaigns"][0]["series"]] == [("2026-11-20T00:00:00Z", 2)]
    # the analyst page's since/until days are local days too, and its export links the same instants
    analyst = api.ui("analyst", "*")
    for tz in ("Asia/Jakarta", "Asia/Jayapura", None):  # the 21st local: 23:30 UTC on the 20th only
        page = analyst.get("/ui/analyst", params={"campaign": "asean", "since": "2026-11-21", "until": "2026-11-21"}
                           | ({"tz": tz} if tz else {})).text
        assert "KTT ASEAN malam ini" in page and "KTT ASEAN sore ini" not in page, tz
    page = analyst.get("/ui/analyst", params={"campaign": "asean", "since": "2026-11-21", "until": "2026-11-21",
                                              "tz": "Asia/Makassar"}).text
    assert "since=2026-11-20T16%3A00%3A00%2B00%3A00" in page and "until=2026-11-21T16%3A00%3A00%2B00%3A00" in page
    assert "(WITA)" in page


def _digest(client, **params):
    return client.get("/ui/digest", params={"campaign": "asean", "tz": "Asia/Jakarta"} | params)


def test_weekly_and_monthly_digests_cover_their_period(api):
    admin = api.admin
    assert admin.post("/rules", json={"name": "Isu chip", "campaign": "asean", "severity": "critical",
                                      "cooldown_minutes": 0, "query": {"any": ["chip"]}}).status_code == 201
    copies = [make_post(40 + i, campaigns=[], text="AWAS chip disebar saat KTT ASEAN!!! sebarkan https://x.example/"
                        f"{i}", author=f"penyebar{i}", created_at=WED + timedelta(days=1, minutes=i)) for i in range(3)]
    _send(api, _week_posts() + copies)
    lead = api.ui("leadership", "*")
    week = _digest(lead, period="week", day="2026-11-20")
    assert week.status_code == 200, week.text
    html = week.text
    assert "Ringkasan mingguan" in html and "2026-11-16 – 2026-11-22 (WIB)" in html
    assert "<b>9</b>" in html  # 6 + 3 copies this week (the 4 posts of the week before are not counted)
    assert "Isu chip" in html  # the alerts section: raised in the period or still open
    assert "×3 · 3 akun" in html  # three copies of one text from three accounts: one row
    engaged = html.split("Unggahan dengan interaksi tertinggi")[1].split("<h2>")[0]
    assert engaged.count("AWAS chip disebar") == 1
    assert "Persiapan KTT ASEAN" not in html  # posts and narratives of the week before stay out
    labels = {n["label"]: n["size"] for n in admin.get("/narratives", params={"campaign": "asean"}).json()}
    before = next(label for label in labels if "persiapan" in label.lower())  # its 4 posts are all in the week before
    section = html.split("Narasi pada periode ini")[1].split("<h2>")[0]
    assert before not in section and any(label in section for label in labels)
    assert before in _digest(lead, period="week", day="2026-11-11").text.split("Narasi pada periode ini")[1]
    assert "Sen 2026-11-16" in html and "Min 2026-11-22" in html  # every day of the week, in Indonesian
    assert "Mon 2026-11-16" not in html and "Sun 2026-11-22" in _digest(lead, period="week", day="2026-11-20",
                                                                        lang="en").text
    month = _digest(lead, period="month", day="2026-11-20", lang="en").text
    assert "Monthly digest" in month and "2026-11-01 – 2026-11-30 (WIB)" in month and "<b>13</b>" in month
    day = _digest(lead, period="day", day="2026-11-18").text  # Wednesday 12:00..19:00 WIB: 6 posts; copies on 19th
    assert "Ringkasan harian" in day and "<b>6</b>" in day and "2026-11-18 12:00" in day  # local times
    assert _digest(lead, period="year").status_code == 422
    assert _digest(lead, day="2026-02-30").status_code == 422
    assert _digest(api.ui("leadership", "kemkes"), period="week").status_code == 404  # asean is kemlu's
    assert _digest(api.ui("analyst", "*"), period="week").status_code == 403


def test_digest_pdf_is_rendered_by_chromium(api):
    import io

    import pypdf

    from tests.browser.conftest import _ensure_chromium

    _ensure_chromium()
    _send(api, _week_posts())
    r = _digest(api.ui("leadership", "*"), period="week", day="2026-11-20", format="pdf")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf" and r.content.startswith(b"%PDF")
    assert 'filename="narrawatch-asean-week-2026-11-16.pdf"' in r.headers["content-disposition"]
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(r.content)).pages)
    assert "Ringkasan mingguan: KTT ASEAN" in text and "Penyebutan" in text and "50.0%" in text, text[:500]
