"""Hashtags and links written in a post's text: the one extractor collectors and file imports share, so a post has
the same `hashtags` and `links` whichever way it came in."""
from __future__ import annotations

import re

from core.domain import LIST_MAX, URL_MAX

_HASHTAG = re.compile(r"(?<![\w/])#(\w{2,64})", re.U)  # not inside a word or a URL fragment (/#x)
_URL = re.compile(r"https?://[^\s<>\"')\]]+")


def extract_hashtags(text: str | None) -> list[str]:
    """Lowercased, without '#', first occurrence first, each once (at most a post's list limit)."""
    return list(dict.fromkeys(tag.lower() for tag in _HASHTAG.findall(text or "")))[:LIST_MAX]


def extract_links(text: str | None) -> list[str]:
    """http(s) URLs, without the sentence punctuation that follows them, each once; a URL over a post's length limit
    is left in the text only, so it never costs the post itself."""
    urls = (url.rstrip(".,;:!?") for url in _URL.findall(text or ""))
    return list(dict.fromkeys(url for url in urls if len(url) <= URL_MAX))[:LIST_MAX]
