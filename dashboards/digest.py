"""The digest of one campaign for a day, week or month as a self-contained HTML page (inline CSS, no script:
print-ready, e-mail friendly, rendered to PDF by dashboards/pdf.py).

Figures against the period before, the volume of every day of the period (empty days at zero), the alerts raised
in it or still open, the narratives of the period (counted in it), the most engaged and the hoax posts with copies
of one text grouped. `render_digest` only renders; the alerts e-mail channel sends it. Every user-generated string
goes through Jinja autoescaping.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from core.domain import Alert, Campaign, Post
from core.periods import Period, label, period_of, zone
from dashboards.i18n import DEFAULT, alert_title, translator
from service.alerts.text import normalised
from service.store.base import Page, PostQuery, Store

SEVERITY = ["info", "low", "medium", "high", "critical"]

TEMPLATES = Path(__file__).parent / "templates"


def http_url(value: str | None) -> str:
    """Only http(s) links reach an href (a `javascript:` URL in a post must not become a link)."""
    return value if value and value.strip().lower().startswith(("http://", "https://")) else ""


_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True, default_for_string=True))
_env.filters["http_url"] = http_url
_env.filters["alert_title"] = alert_title


def localtime(value: datetime, tz: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.astimezone(zone(tz)).strftime(fmt)


def isotime(value: str | None, tz: str) -> str:
    """An ISO 8601 text (stored UTC instants: audit rows, keys) as local time; kept as is when unreadable."""
    try:
        return localtime(datetime.fromisoformat((value or "").replace("Z", "+00:00")), tz)
    except ValueError:
        return value or ""


_env.filters["localtime"] = localtime

WEEKDAYS = {"id": ("Sen", "Sel", "Rab", "Kam", "Jum", "Sab", "Min"), "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}


def weekday(value: datetime | date, lang: str) -> str:
    """The day's short name in the page language (strftime's %a is the C locale's English)."""
    return WEEKDAYS.get(lang, WEEKDAYS["en"])[value.weekday()]


_env.filters["weekday"] = weekday


def group_duplicates(posts: list[Post], limit: int) -> list[dict]:
    """Copies of one text (same words once URLs, mentions, case and punctuation are gone) as one row: the first
    post (the list's order), how many copies, from how many accounts, and their summed engagement."""
    groups: dict[str, dict] = {}
    for post in posts:
        g = groups.setdefault(normalised(post.text) or post.id, {"post": post, "copies": 0, "accounts": set(),
                                                                  "engagement": 0})
        g["copies"] += 1
        g["accounts"].add(post.author or "")
        g["engagement"] += post.engagement.total
    return [g | {"accounts": len(g["accounts"])} for g in list(groups.values())[:limit]]


def _alerts(engine, campaign: str, period: Period) -> list[Alert]:
    """Alerts of the campaign raised in the period or still open now, most severe first."""
    store = getattr(engine, "alerts", None)
    if store is None:
        return []
    found = [a for a in store.list_alerts(campaign=campaign, limit=500)
             if period.contains(a.created_at) or a.status != "resolved"]
    return sorted(found, key=lambda a: (-SEVERITY.index(a.severity), a.created_at))[:20]


def digest_data(store: Store, campaign: Campaign, period: Period, engine=None) -> dict:
    base = PostQuery(campaign=campaign.id, since=period.since, until=period.until)
    from service.api.routes.summary import headline, hoax_series, top_narratives

    peers = [(c.id, c.name) for c in store.list_campaigns(campaign.workspace)] or [(campaign.id, campaign.name)]
    head = headline(store, peers, period, engine=engine)
    figures = next((c for c in head.campaigns if c.campaign == campaign.id), None) or \
        headline(store, [(campaign.id, campaign.name)], period, engine=engine).campaigns[0]
    total = figures.mentions
    interval = "hour" if period.days <= 1 else "day"
    return {
        "campaign": campaign, "period": period, "zone": label(period.tz), "figures": figures, "total": total,
        "previous": head.previous, "interval": interval,
        "volume": hoax_series(store, campaign.id, period.since, period.until, interval, period.tz),
        "alerts": _alerts(engine, campaign.id, period),
        "narratives": top_narratives(store, campaign.id, period.since, period.until, 8, engine=engine),
        "authors": store.terms(base, "author", 8), "platforms": store.terms(base, "platform", 8),
        "engaged": group_duplicates(store.search(base, Page(limit=100, sort="engagement")).posts, 6) if total else [],
        "hoax_posts": group_duplicates(store.search(base.model_copy(update={"hoax": True}),
                                                    Page(limit=100, sort="newest")).posts, 6) if total else [],
        "generated": datetime.now(timezone.utc).astimezone(zone(period.tz)),
    }


def digest_day(day: date | datetime | str) -> date:
    """The UTC calendar day a digest covers; ValueError with a readable message when there is no such digest.

    A digest counts its day up to the next midnight and compares with the day before, so both must exist in the
    calendar: 0001-01-01 and 9999-12-31 are refused instead of overflowing."""
    if isinstance(day, str):
        try:
            day = date.fromisoformat(day)
        except ValueError:
            raise ValueError(f"day: expected YYYY-MM-DD, got {day!r}") from None
    elif isinstance(day, datetime):
        day = day.astimezone(timezone.utc).date()
    if not date.min < day < date.max:
        raise ValueError(f"day: must be between {date.min + timedelta(days=1)} and {date.max - timedelta(days=1)}")
    return day


def _resolve(store: Store, campaign: Campaign | str, when: Period | date | datetime | str,
             tz: str) -> tuple[Campaign, Period]:
    if isinstance(campaign, str):
        found = store.get_campaign(campaign)
        if found is None:
            raise KeyError(f"campaign {campaign!r} not found")
        campaign = found
    return campaign, when if isinstance(when, Period) else period_of("day", digest_day(when), tz)


def render_digest(store: Store, campaign: Campaign | str, when: Period | date | datetime | str,
                  lang: str = DEFAULT, engine=None, tz: str = "UTC") -> str:
    """HTML digest of `campaign` for a period, or for the calendar day `when` in `tz` (`engine`: the alert engine,
    for narratives and alerts)."""
    campaign, period = _resolve(store, campaign, when, tz)
    return _env.get_template("digest.html").render(t=translator(lang), lang=lang,
                                                   **digest_data(store, campaign, period, engine))


def digest_email(store: Store, campaign: Campaign | str, day: date | datetime | str, lang: str = DEFAULT,
                 engine=None, tz: str = "UTC") -> dict:
    """The digest as an e-mail: {"subject", "html" (the page above), "text" (plain-text figures), "figures"}."""
    campaign, period = _resolve(store, campaign, day, tz)
    day = period.start
    t = translator(lang)
    data = digest_data(store, campaign, period, engine)
    html = _env.get_template("digest.html").render(t=t, lang=lang, **data)
    f = data["figures"]
    figures = {"posts": f.mentions, "previous_day": f.previous_mentions, "positive": f.positive,
               "neutral": f.neutral, "negative": f.negative, "hoax_posts": f.hoax}
    lines = [f"{t('digest')}: {campaign.name} ({day.isoformat()}, {data['zone']})", ""]
    lines += [f"{t(k)}: {v}" for k, v in figures.items()]
    narratives = data["narratives"].narratives
    if narratives:
        lines += ["", f"{t('top_narratives')}:"] + [f"- {n.label} ({n.posts})" for n in narratives]
    return {"subject": f"[narrawatch] {t('digest')}: {campaign.name} ({day.isoformat()})", "html": html,
            "text": "\n".join(lines) + "\n", "figures": figures}
