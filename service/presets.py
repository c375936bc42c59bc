"""Column mappings for the export formats people actually have: `narrawatch ingest --format <name>`, or
`--format auto` (the default), which recognises the format from the CSV header or the first JSON record.

A preset maps our fields to the export's columns (first non-empty wins); columns it does not map are kept in
`Post.raw`. Nested JSON (X API v2, Apify, Meta Content Library) is flattened to dotted column names first, so one
preset reads both the JSON dump and the CSV a tool writes from it (twarc-csv, Apify "a/b" columns are accepted too).
"""
from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.textrefs import extract_hashtags, extract_links
from core.dates import parse_datetime
from core.domain import Engagement, Post

FIELDS = ("text", "title", "date", "id", "author", "url", "lang", "likes", "reposts", "replies", "views",
          "hashtags", "links", "platform")


@dataclass(frozen=True)
class Preset:
    name: str
    label: str
    platform: str  # our platform, unless the `platform` column says otherwise
    signature: tuple[str, ...]  # columns (case-insensitive) that together identify the format
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    unescape: bool = False  # X-derived text carries HTML entities (&amp;)
    url_template: str | None = None  # when the export has no url column: {author} and {id}


def _x(**columns: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    return columns


PRESETS: dict[str, Preset] = {p.name: p for p in (
    # helmisatria/tweet-harvest: Papa.unparse of legacy tweet fields sorted by name (>= 2.x); 1.x wrote the same
    # fields `;`-separated (created_at;id;id_str;full_text;...). Dates are X's "Wed Nov 30 10:15:00 +0000 2022".
    Preset("tweet-harvest", "tweet-harvest CSV (X)", "twitter", ("full_text", "id_str", "favorite_count"), _x(
        text=("full_text",), date=("created_at",), id=("id_str",), author=("username",), url=("tweet_url",),
        lang=("lang",), likes=("favorite_count",), reposts=("retweet_count",), replies=("reply_count",),
        links=("image_url", "media_url_https")), unescape=True, url_template="https://x.com/{author}/status/{id}"),
    # The `User;Text;Date;Tweet Link;Media Links;Reply To;Target;Mentions` export of Indonesian X scrapers
    Preset("x-scraper", "X scraper export (User;Text;Date;Tweet Link)", "twitter",
           ("user", "text", "date", "tweet link"), _x(
               text=("Text",), date=("Date",), author=("User",), url=("Tweet Link",), links=("Media Links",)),
           unescape=True),
    # X API v2 tweet objects (JSON/JSONL, one tweet or one response page per line; twarc2 and twarc-csv output)
    Preset("x-api-v2", "X API v2 JSON/JSONL", "twitter", ("id", "text", "created_at", "public_metrics.like_count"), _x(
        text=("text",), date=("created_at",), id=("id",), author=("author.username", "author_id"), lang=("lang",),
        likes=("public_metrics.like_count",), reposts=("public_metrics.retweet_count",),
        replies=("public_metrics.reply_count",), views=("public_metrics.impression_count",),
        hashtags=("entities.hashtags",), links=("entities.urls",)),
        unescape=True, url_template="https://x.com/{author}/status/{id}"),
    # CrowdTangle historical-data CSV (Facebook: Page Name/User Name/Facebook Id; Instagram: Account)
    Preset("crowdtangle", "CrowdTangle CSV (Facebook)", "facebook", ("page name", "post created", "total interactions"), _x(
        text=("Message", "Description", "Link Text", "Image Text"), date=("Post Created",), id=("URL",),
        author=("User Name", "Page Name"), url=("URL",), likes=("Likes",), reposts=("Shares",), replies=("Comments",),
        views=("Post Views", "Total Views"), links=("Link", "Final Link"))),
    Preset("crowdtangle-instagram", "CrowdTangle CSV (Instagram)", "instagram", ("account", "post created", "total interactions"), _x(
        text=("Description", "Image Text", "Title"), date=("Post Created",), id=("URL",), author=("User Name", "Account"),
        url=("URL",), likes=("Likes",), replies=("Comments",), views=("Views", "Post Views"), links=("Link",))),
    # Meta Content Library (Facebook/Instagram posts): its documented fields, nested ones dotted
    Preset("meta-content-library", "Meta Content Library CSV/JSON", "facebook", ("creation_time", "post_owner.name"), _x(
        text=("text", "content"), date=("creation_time",), id=("id",), author=("post_owner.username", "post_owner.name"),
        url=("url", "post_url"), lang=("lang",), likes=("statistics.reaction_count", "statistics.like_count"),
        reposts=("statistics.share_count",), replies=("statistics.comment_count",), views=("statistics.views",),
        links=("link_attachment.link", "link_attachment.url"))),
    # Brandwatch Consumer Research mentions export (metadata lines above the header are skipped)
    Preset("brandwatch", "Brandwatch mentions export", "import", ("query name", "page type", "url"), _x(
        text=("Full Text", "Snippet", "Title"), title=("Title",), date=("Date",), id=("Resource Id", "Url"),
        author=("Author",), url=("Url",), lang=("Language",), likes=("Likes", "Facebook Likes"),
        reposts=("Twitter Retweets", "Facebook Shares"), replies=("Twitter Reply Count", "Facebook Comments"),
        hashtags=("Hashtags",), platform=("Page Type",))),
    # Meltwater Explore export
    Preset("meltwater", "Meltwater export", "import", ("hit sentence", "opening text", "influencer"), _x(
        text=("Hit Sentence", "Opening Text", "Headline"), title=("Headline",), date=("Date",),
        id=("Tweet Id", "URL"), author=("Twitter Screen Name", "Influencer"), url=("URL",), lang=("Language",),
        platform=("Source Type", "Document Type"))),
    # Talkwalker document export (API field names; published is epoch milliseconds)
    Preset("talkwalker", "Talkwalker export", "import", ("published", "content", "source_type"), _x(
        text=("content", "title_snippet", "title"), title=("title",), date=("published",), id=("url",), url=("url",),
        author=("extra_author_attributes.short_name", "extra_author_attributes.name"), lang=("lang",),
        likes=("article_extended_attributes.twitter_likes", "article_extended_attributes.facebook_likes"),
        reposts=("article_extended_attributes.twitter_retweets", "article_extended_attributes.facebook_shares"),
        views=("article_extended_attributes.youtube_views",), platform=("source_type",))),
    # Apify clockworks/tiktok-scraper dataset (JSON, or CSV with "authorMeta/name" columns)
    Preset("tiktok-apify", "TikTok (Apify tiktok-scraper)", "tiktok", ("webvideourl", "diggcount"), _x(
        text=("text",), date=("createTimeISO", "createTime"), id=("id",), author=("authorMeta.name",),
        url=("webVideoUrl",), likes=("diggCount",), reposts=("shareCount",), replies=("commentCount",),
        views=("playCount",), hashtags=("hashtags",))),
    # TikTok Research API video query fields
    Preset("tiktok-research", "TikTok Research API", "tiktok", ("video_description", "create_time", "like_count"), _x(
        text=("video_description", "voice_to_text"), date=("create_time",), id=("id",), author=("username",),
        likes=("like_count",), reposts=("share_count",), replies=("comment_count",), views=("view_count",),
        hashtags=("hashtag_names",)), url_template="https://www.tiktok.com/@{author}/video/{id}"),
    # Apify instagram-scraper posts dataset
    Preset("instagram-apify", "Instagram (Apify instagram-scraper)", "instagram", ("shortcode", "ownerusername"), _x(
        text=("caption", "alt"), date=("timestamp",), id=("id", "shortCode"), author=("ownerUsername",), url=("url",),
        likes=("likesCount",), replies=("commentsCount",), views=("videoViewCount", "videoPlayCount"),
        hashtags=("hashtags",))),
)}

_PLATFORM_WORDS = ("twitter", "facebook", "instagram", "tiktok", "youtube", "telegram", "bluesky", "mastodon", "news")


def _key(name: str) -> str:
    """Column names compared case-insensitively, Apify's "a/b" and twarc's "a.b" alike."""
    return name.strip().lower().replace("/", ".")


def detect_preset(columns: Any) -> Preset | None:
    """The preset whose signature columns are all present; the most specific one when several are."""
    have = {_key(c) for c in columns if isinstance(c, str)}
    found = [p for p in PRESETS.values() if all(c in have for c in p.signature)]
    return max(found, key=lambda p: len(p.signature), default=None)


def flatten(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"a": {"b": 1}} → {"a.b": 1}; lists are kept whole (hashtags, urls)."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def _pick(row: dict[str, Any], names: tuple[str, ...], used: set[str]) -> Any:
    for name in names:
        key = _key(name)
        if key in row:
            used.add(key)
            value = row[key]
            if value not in (None, "", []):
                return value
    return None


def _count(value: Any, column: str) -> int | None:
    if value is None:
        return None
    text = str(value).strip().replace(",", "") if not isinstance(value, (int, float)) else value
    try:
        number = float(text)
    except (TypeError, ValueError):
        raise ValueError(f"{column}: count {str(value)[:40]!r} is not a number") from None
    if number != number or number < 0 or number >= 1e18:
        raise ValueError(f"{column}: count {str(value)[:40]!r} is out of range")
    return int(number)


def _items(value: Any) -> list[str]:
    """Hashtags/links as a list of strings: from a list (of strings or X/Apify objects) or a separated string."""
    if value is None:
        return []
    if isinstance(value, list):
        out = []
        for item in value:
            if isinstance(item, dict):
                item = item.get("tag") or item.get("name") or item.get("expanded_url") or item.get("url")
            if isinstance(item, str) and item.strip():
                out.append(item.strip())
        return out
    return [v for v in re.split(r"[\s,;|]+", str(value)) if v]


# CrowdTangle and other dashboards print the time zone of the viewer as an abbreviation
_ZONES = {"UTC": 0, "GMT": 0, "Z": 0, "WIB": 7, "WITA": 8, "WIT": 9, "SGT": 8, "MYT": 8, "PHT": 8, "ICT": 7,
          "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
          "CET": 1, "CEST": 2, "BST": 1, "IST": 5.5, "JST": 9, "AEST": 10, "AEDT": 11}
_ZONE_SUFFIX = re.compile(r"^(.*\d)\s+([A-Z]{1,5})$")
_EXPORT_FORMATS = ("%d-%b-%Y %I:%M%p", "%d-%b-%Y %I:%M %p", "%b %d, %Y %I:%M %p", "%d/%m/%Y %H:%M:%S",
                   "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M:%S.%f")


def export_date(value: Any) -> datetime:
    """The one date parser, after the spellings dashboards export: '2023-05-01 10:00:00 EDT' (zone abbreviation),
    Meltwater's '01-May-2023 10:00AM', day-first '01/05/2023 10:00' (naive = UTC)."""
    if isinstance(value, str):
        text = value.strip()
        zoned = _ZONE_SUFFIX.match(text)
        if zoned and zoned.group(2) in _ZONES:
            return parse_datetime(f"{zoned.group(1).replace(' ', 'T', 1)}"
                                  f"{_offset(_ZONES[zoned.group(2)])}")
        for fmt in _EXPORT_FORMATS:
            try:
                return parse_datetime(datetime.strptime(text, fmt))
            except ValueError:
                continue
    return parse_datetime(value)


def _offset(hours: float) -> str:
    sign = "-" if hours < 0 else "+"
    minutes = int(abs(hours) * 60)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _platform(value: Any, default: str) -> str:
    low = str(value or "").lower()
    if low in ("x", "tweet"):
        return "twitter"
    return next((w for w in _PLATFORM_WORDS if w in low), default)


_STATUS_ID = re.compile(r"/status(?:es)?/(\d+)")


def preset_post(preset: Preset, record: dict[str, Any], default_source: str) -> Post:
    """One row/record of the preset's format → Post; ValueError naming the column when a value is unusable."""
    if not isinstance(record, dict):
        raise ValueError(f"expected an object, got {type(record).__name__}")
    flat = flatten(record)
    row = {_key(k): v for k, v in flat.items()}
    used: set[str] = set()
    get = {f: _pick(row, preset.columns.get(f, ()), used) for f in FIELDS}
    text = get["text"]
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{preset.name}: no text (looked for {', '.join(preset.columns['text'])})")
    text = html.unescape(text) if preset.unescape else text
    if get["date"] is None:
        raise ValueError(f"{preset.name}: no date (looked for {', '.join(preset.columns['date'])})")
    created = export_date(get["date"])
    author = str(get["author"]).lstrip("@") if get["author"] is not None else None
    url = get["url"] if isinstance(get["url"], str) and get["url"].startswith("http") else None
    platform = _platform(get["platform"], preset.platform) if get["platform"] is not None else preset.platform
    native = get["id"]
    if (native is None or platform == "twitter") and url and (m := _STATUS_ID.search(url)):
        native = m.group(1)  # the status number: the same tweet from any export or snscrape is one post
    if native is None:  # no id: the content identifies the row, so re-imports still dedupe
        native = hashlib.sha1(f"{text}\x1f{get['date']}\x1f{author}".encode()).hexdigest()
    native = str(int(native)) if isinstance(native, float) and native.is_integer() else str(native)
    if url is None and preset.url_template and author and native.isdigit():
        url = preset.url_template.format(author=author, id=native)
    links = _items(get["links"])
    return Post(
        source=platform if platform not in ("import", "news") else default_source, native_id=native,
        platform=platform, url=url, author=author, text=text,
        title=html.unescape(get["title"]) if isinstance(get["title"], str) and get["title"].strip() else None,
        lang=get["lang"], created_at=created,
        engagement=Engagement(**{f: _count(get[f], f) for f in ("likes", "reposts", "replies", "views")}),
        hashtags=_items(get["hashtags"]) or extract_hashtags(text),
        links=[l for l in links if l.startswith("http")] or extract_links(text),
        raw={"format": preset.name, **{k: v for k, v in flat.items() if _key(k) not in used and v not in (None, "", [])}},
    )


def explode(record: Any) -> list[Any]:
    """An X API v2 response page ({"data": [...], "includes": {"users": [...]}}) → its tweets, each with its
    author object (as twarc2's flattened output has it); any other record → itself."""
    if not (isinstance(record, dict) and isinstance(record.get("data"), list)):
        return [record]
    includes = record.get("includes") if isinstance(record.get("includes"), dict) else {}
    users = {u["id"]: u for u in includes.get("users") or [] if isinstance(u, dict) and isinstance(u.get("id"), str)}
    return [{**t, "author": users[t["author_id"]]} if isinstance(t, dict) and isinstance(t.get("author_id"), str)
            and t["author_id"] in users and "author" not in t else t for t in record["data"]]

