"""The daily digest of one campaign as a self-contained HTML page (inline CSS, print-ready, e-mail friendly).

`render_digest(store, campaign, day)` only renders; the alerts e-mail channel sends it. Every user-generated
string goes through Jinja autoescaping.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from dashboards.i18n import DEFAULT, translator
from core.domain import Campaign
from service.store.base import Page, PostQuery, Store

TEMPLATES = Path(__file__).parent / "templates"


def http_url(value: str | None) -> str:
    """Only http(s) links reach an href (a `javascript:` URL in a post must not become a link)."""
    return value if value and value.strip().lower().startswith(("http://", "https://")) else ""


_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True, default_for_string=True))
_env.filters["http_url"] = http_url


def digest_data(store: Store, campaign: Campaign, day: date, engine=None) -> dict:
    start = datetime.combine(day, time(0), tzinfo=timezone.utc)
    base = PostQuery(campaign=campaign.id, since=start, until=start + timedelta(days=1))
    prev = base.model_copy(update={"since": start - timedelta(days=1), "until": start})
    total = store.count(base)
    sentiment = {s: store.count(base.model_copy(update={"sentiment": s})) for s in ("positive", "neutral", "negative")}
    hoax_q = base.model_copy(update={"hoax": True})
    from service.api.routes.summary import top_narratives

    return {
        "campaign": campaign, "day": day, "total": total, "previous_total": store.count(prev),
        "sentiment": sentiment, "hoax": store.count(hoax_q),
        "narratives": top_narratives(store, campaign.id, base.since, base.until, 5, engine=engine),
        "authors": store.terms(base, "author", 5), "platforms": store.terms(base, "platform", 5),
        "engaged": store.search(base, Page(limit=5, sort="engagement")).posts if total else [],
        "hoax_posts": store.search(hoax_q, Page(limit=5, sort="newest")).posts if total else [],
        "generated": datetime.now(timezone.utc),
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


def _resolve(store: Store, campaign: Campaign | str, day: date | datetime | str) -> tuple[Campaign, date]:
    if isinstance(campaign, str):
        found = store.get_campaign(campaign)
        if found is None:
            raise KeyError(f"campaign {campaign!r} not found")
        campaign = found
    return campaign, digest_day(day)


def render_digest(store: Store, campaign: Campaign | str, day: date | datetime | str, lang: str = DEFAULT,
                  engine=None) -> str:
    """HTML digest of `campaign` for the UTC calendar day `day` (`engine`: the alert engine, for narratives)."""
    campaign, day = _resolve(store, campaign, day)
    return _env.get_template("digest.html").render(t=translator(lang), lang=lang, **digest_data(store, campaign, day, engine))


def digest_email(store: Store, campaign: Campaign | str, day: date | datetime | str, lang: str = DEFAULT,
                 engine=None) -> dict:
    """The digest as an e-mail: {"subject", "html" (the page above), "text" (plain-text figures), "figures"}."""
    campaign, day = _resolve(store, campaign, day)
    t = translator(lang)
    data = digest_data(store, campaign, day, engine)
    html = _env.get_template("digest.html").render(t=t, lang=lang, **data)
    figures = {"posts": data["total"], "previous_day": data["previous_total"], **data["sentiment"],
               "hoax_posts": data["hoax"]}
    lines = [f"{t('digest')}: {campaign.name} ({day.isoformat()}, UTC)", ""]
    lines += [f"{t(k)}: {v}" for k, v in figures.items()]
    narratives = data["narratives"].narratives
    if narratives:
        lines += ["", f"{t('top_narratives')}:"] + [f"- {n.label} ({n.posts})" for n in narratives]
    return {"subject": f"[narrawatch] {t('digest')}: {campaign.name} ({day.isoformat()})", "html": html,
            "text": "\n".join(lines) + "\n", "figures": figures}
