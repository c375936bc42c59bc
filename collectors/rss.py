"""RSS/Atom feeds (news sites and fact-checkers) via feedparser.

One collector per feed URL. Cursor: {"validators": {etag, last_modified}, "seen": [entry ids, newest last]}.
Fact-check feeds also emit known debunked claims; when `fetch_claimreview` is on, the article page is fetched
(robots-checked, politely, through the egress guard since the link comes from feed content) and its ClaimReview
JSON-LD, when present, refines claim text and verdict.
"""
from __future__ import annotations

import calendar
import warnings
import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import feedparser

from collectors.base import Batch, Parsed, Reject, build_post, html_to_text, truncate
from core.textrefs import extract_hashtags, extract_links
from collectors.http import HttpClient
from core.domain import Campaign
from core.langcodes import normalize_lang


class FeedUnparseable(RuntimeError):
    pass


def _entry_dt(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        st = entry.get(key)
        if st:
            try:
                return datetime.fromtimestamp(calendar.timegm(st), tz=timezone.utc)
            except (OverflowError, ValueError, TypeError, OSError):
                continue
    return None


_LABEL_BRACKET = re.compile(r"^\s*[\[\(]\s*([A-Za-z][A-Za-z \-]{1,40}?)\s*[\]\)]\s*[:\-–]?\s*(.*)$", re.S)
_VERDICT_WORDS = ("sebagian benar", "tidak terbukti", "menyesatkan", "disinformasi", "misinformasi", "keliru",
                  "salah", "hoaks", "hoax", "palsu", "penipuan", "satire", "klarifikasi", "benar", "false",
                  "misleading", "true", "mostly false", "partly false", "fake")
_LABEL_PREFIX = re.compile(r"^\s*(?:cek fakta\s*:\s*)?(" + "|".join(re.escape(w) for w in _VERDICT_WORDS) + r")\s*[,:\-–]\s*(.*)$",
                           re.I | re.S)


def split_verdict(title: str) -> tuple[str | None, str]:
    """'[SALAH] Video X' → ('SALAH', 'Video X'); 'Keliru, Klaim Y' → ('Keliru', 'Klaim Y')."""
    t = (title or "").strip()
    m = _LABEL_BRACKET.match(t)
    if m and m.group(2).strip():
        return m.group(1).strip().upper(), m.group(2).strip()
    m = _LABEL_PREFIX.match(t)
    if m and m.group(2).strip():
        return m.group(1).strip().upper(), m.group(2).strip()
    return None, t


def claim_id(url: str) -> str:
    return hashlib.sha1(f"claim\x1f{url}".encode()).hexdigest()[:24]


def parse_feed(text: str | bytes, *, source: str, campaigns: Sequence[Campaign], platform: str = "news",
               factcheck: bool = False, base_url: str | None = None, content_type: str | None = None) -> Parsed:
    """Feed XML → posts (+ claims for fact-check feeds). Never raises on bad input. `content_type` is the
    response's: feedparser flags a response without one as bozo, which made a valid empty feed "unparseable"."""
    with warnings.catch_warnings():  # feedparser's updated→published fallback warns on every access
        warnings.simplefilter("ignore", DeprecationWarning)
        return _parse_feed(text, source=source, campaigns=campaigns, platform=platform, factcheck=factcheck,
                           base_url=base_url, content_type=content_type)


# bozo reasons that say nothing about the XML itself (a wrong/absent Content-Type, a charset mismatch)
_HARMLESS_BOZO = (feedparser.NonXMLContentType, feedparser.CharacterEncodingOverride)
# hosts whose item links redirect to the article (FeedBurner, Google News, shorteners): the guid is the real URL
REDIRECTORS = {"feedproxy.google.com", "feeds.feedburner.com", "news.google.com", "t.co", "bit.ly", "ow.ly",
               "buff.ly", "dlvr.it", "trib.al", "lnkd.in", "rss.app", "feeds.feedblitz.com"}


def _host(url: str | None) -> str:
    host = (urlsplit(url or "").hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def canonical_link(link: str | None, guid: str | None, site: str | None) -> str | None:
    """The entry's URL: the guid when it is an http(s) URL and `link` is a redirector (a known one, or another host
    than the guid's own site), else `link`."""
    if not (isinstance(guid, str) and guid.startswith(("http://", "https://"))) or not link:
        return link or (guid if isinstance(guid, str) and guid.startswith(("http://", "https://")) else None)
    if _host(link) == _host(guid):
        return link
    if _host(link) in REDIRECTORS or (site and _host(guid) == _host(site)):
        return guid
    return link


def _parse_feed(text, *, source, campaigns, platform, factcheck, base_url, content_type) -> Parsed:
    out = Parsed()
    headers = {k: v for k, v in (("content-location", base_url), ("content-type", content_type)) if v}
    try:
        feed = feedparser.parse(text, response_headers=headers or None)
    except Exception as exc:  # feedparser is lenient, but be defensive against anything odd
        return out.unparseable(f"feedparser crashed: {type(exc).__name__}: {exc}", truncate(text))
    entries = list(feed.get("entries") or [])
    # no entries is fine for a recognised feed (a quiet fact-checker) whose only complaint, if any, is harmless
    sound = feed.get("version") and (not feed.get("bozo") or isinstance(feed.get("bozo_exception"), _HARMLESS_BOZO))
    if not entries and not sound:
        reason = feed.get("bozo_exception") or "not an RSS/Atom document"
        return out.unparseable(f"unparseable feed: {reason!s}"[:300], truncate(text))
    channel = feed.get("feed") or {}
    channel_lang = normalize_lang(channel.get("language"))
    site = channel.get("link")
    for entry in entries:
        raw = {k: entry.get(k) for k in ("id", "link", "title", "published", "updated", "author") if entry.get(k)}
        try:
            native = entry.get("id") or entry.get("link") or None
            link = canonical_link(entry.get("link") or None, entry.get("id"), site)
            title = html_to_text(entry.get("title")) or None
            content = (entry.get("content") or [{}])[0]
            # content:encoded (the full article) over description (often a teaser)
            summary = html_to_text(content.get("value") or entry.get("summary"))
            text = summary or (title or "")
            links = [link] if link else []
            links += [u for u in [entry.get("link"), *extract_links(text)] if u and u not in links]
            tags = [t.get("term") for t in entry.get("tags") or [] if isinstance(t, dict) and t.get("term")]
            raw["summary"] = truncate(summary, 500)
            post = build_post(campaigns, source=source, native_id=native, platform=platform,
                              text=text, title=title, url=link, author=entry.get("author") or None,
                              lang=normalize_lang(content.get("language")) or channel_lang,
                              created_at=_entry_dt(entry), links=links, raw=raw,
                              hashtags=None if not tags else [*extract_hashtags(text), *_slug_tags(tags)])
        except ValueError as exc:
            out.rejects.append(Reject(str(exc), raw or truncate(dict(entry))))
            continue
        out.posts.append(post)
        if factcheck:
            verdict, claim = split_verdict(post.title or post.text)
            out.claims.append({
                "id": claim_id(post.url or post.native_id), "title": post.title or claim, "claim": claim,
                "verdict": verdict, "url": post.url, "date": post.created_at.isoformat(), "source": source,
                "summary": summary[:1000] or None,
            })
    return out


def _slug_tags(tags: list[str]) -> list[str]:
    # feed categories become hashtags only when they are single words ("Hoaks", "CekFakta")
    return [t.strip().lower() for t in tags if t and re.fullmatch(r"\w{2,40}", t.strip())]


# --- ClaimReview JSON-LD -------------------------------------------------------------------------

_CTRL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _json_loads_lenient(s: str) -> Any:
    try:
        return json.loads(s)
    except ValueError:
        return json.loads(_CTRL.sub(" ", s), strict=False)


def _walk(obj: Any, depth: int = 0) -> Iterator[dict]:
    if depth > 8:
        return
    if isinstance(obj, dict):
        yield obj
        for v in obj.values():
            if isinstance(v, (dict, list)):
                yield from _walk(v, depth + 1)
    elif isinstance(obj, list):
        for v in obj:
            yield from _walk(v, depth + 1)


def _is_type(obj: dict, name: str) -> bool:
    t = obj.get("@type")
    return t == name or (isinstance(t, list) and name in t)


def _name(v: Any) -> str | None:
    if isinstance(v, str):
        return v
    if isinstance(v, dict):
        return v.get("name") if isinstance(v.get("name"), str) else None
    if isinstance(v, list) and v:
        return _name(v[0])
    return None


def parse_claimreview(html: str) -> list[dict]:
    """Every ClaimReview object in the page's JSON-LD scripts → {claim, verdict, url, date, author, rating}.

    Robust: broken scripts are skipped, control characters tolerated, @graph and lists walked.
    """
    from selectolax.lexbor import LexborHTMLParser
    try:
        tree = LexborHTMLParser(html or "")
        scripts = [n.text(deep=True) or "" for n in tree.css('script[type="application/ld+json"]')]
    except Exception:
        return []
    found: list[dict] = []
    for s in scripts:
        try:
            data = _json_loads_lenient(s.strip())
        except ValueError:
            continue
        for obj in _walk(data):
            if not _is_type(obj, "ClaimReview"):
                continue
            rating = obj.get("reviewRating") if isinstance(obj.get("reviewRating"), dict) else {}
            item = obj.get("itemReviewed") if isinstance(obj.get("itemReviewed"), dict) else {}
            claim = obj.get("claimReviewed")
            if not isinstance(claim, str) or not claim.strip():
                continue
            verdict = rating.get("alternateName") or rating.get("name")
            found.append({
                "claim": claim.strip(),
                "verdict": verdict.strip() if isinstance(verdict, str) else None,
                "rating": rating.get("ratingValue") if isinstance(rating.get("ratingValue"), (int, float, str)) else None,
                "url": obj.get("url") if isinstance(obj.get("url"), str) else None,
                "date": obj.get("datePublished") if isinstance(obj.get("datePublished"), str) else None,
                "author": _name(obj.get("author")),
                "claim_author": _name(item.get("author")),
                "claim_date": item.get("datePublished") if isinstance(item.get("datePublished"), str) else None,
            })
    return found


# --- collector -----------------------------------------------------------------------------------

class RssCollector:
    type = "rss"

    def __init__(self, *, name: str, url: str, campaigns: Sequence[Campaign], http: HttpClient,
                 interval_seconds: float = 600, factcheck: bool = False, fetch_claimreview: bool = False,
                 only_matching: bool = False, respect_robots: bool = True, max_seen: int = 2000):
        self.name, self.url, self.campaigns, self.http = name, url, list(campaigns), http
        self.interval_seconds = interval_seconds
        self.factcheck, self.fetch_claimreview = factcheck, fetch_claimreview
        self.only_matching, self.respect_robots, self.max_seen = only_matching, respect_robots, max_seen

    def collect(self, cursor: dict | None) -> Iterator[Batch]:
        cursor = dict(cursor or {})
        fetched = self.http.get(self.url, validators=cursor.get("validators"), respect_robots=self.respect_robots)
        if fetched.not_modified:
            return  # 304: nothing new, cursor unchanged
        parsed = parse_feed(fetched.text, source=self.name, campaigns=self.campaigns,
                            platform="factcheck" if self.factcheck else "news", factcheck=self.factcheck,
                            base_url=fetched.url, content_type=fetched.headers.get("content-type"))
        if parsed.extra.get("unparseable"):
            yield Batch(rejects=parsed.rejects, cursor=None)
            raise FeedUnparseable(parsed.rejects[0].reason if parsed.rejects else "unparseable feed")
        seen = list(cursor.get("seen") or [])
        seen_set = set(seen)
        posts, claims = [], []
        claims_by_url = {c["url"]: c for c in parsed.claims}
        for post in parsed.posts:
            if post.native_id in seen_set:
                continue
            seen.append(post.native_id)
            seen_set.add(post.native_id)
            if self.only_matching and not post.campaigns and not self.factcheck:
                continue
            posts.append(post)
            claim = claims_by_url.get(post.url)
            if claim is not None:
                if self.fetch_claimreview and post.url:
                    claim = self._refine_claim(claim, parsed)
                claims.append(claim)
        cursor["validators"] = fetched.validators
        cursor["seen"] = seen[-self.max_seen:]
        yield Batch(posts=posts, claims=claims, rejects=parsed.rejects, cursor=cursor)

    def _refine_claim(self, claim: dict, parsed: Parsed) -> dict:
        try:
            page = self.http.get(claim["url"], respect_robots=self.respect_robots, untrusted=True)
        except Exception as exc:  # the claim from the feed is still useful without the page
            parsed.rejects.append(Reject(f"claim page fetch failed: {exc}", {"url": claim["url"]}))
            return claim
        reviews = parse_claimreview(page.text)
        if not reviews:
            return claim
        r = reviews[0]
        return {**claim, "claim": r["claim"], "verdict": r["verdict"] or claim.get("verdict"),
                "claimreview": truncate(r, 500)}


def default_name(url: str) -> str:
    host = (urlsplit(url).hostname or url).lower()
    return f"rss:{host[4:] if host.startswith('www.') else host}"
