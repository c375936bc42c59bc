"""GET /export/posts: every matching post as CSV or NDJSON, streamed from Store.scan (no pagination limit)."""
from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from service.api.auth import Principal, authenticate, scope_query, shown_post, visible_campaign_ids
from service.context import AppContext
from service.api.deps import get_ctx
from service.api.routes.posts import post_query
from service.api.routes.saved_searches import searches, visible_search
from core.domain import Post
from service.store.base import PostQuery, Sort

router = APIRouter(prefix="/export", tags=["export"])

CSV_COLUMNS = ["id", "created_at", "platform", "source", "author", "url", "lang", "sentiment", "sentiment_score",
               "hoax", "hoax_score", "matched_claim_url", "campaigns", "hashtags", "likes", "reposts", "replies",
               "views", "title", "text"]
# Spreadsheets start a formula at these (after NFKC folding, so fullwidth ＝＋－＠ count too); a leading
# whitespace or control character (space, NBSP, newline, tab) is skipped by some of them before they look, and `;`
# or `|` can start a DDE/field-separator payload. Any of these as the first character gets a leading quote.
_FORMULA_START = frozenset("=+-@;|")


def _cell(value) -> str:
    """Plain text for a spreadsheet: lists joined, and formula-looking text neutralised (CSV injection)."""
    if value is None:
        return ""
    if isinstance(value, list):
        value = ";".join(value)
    text = str(value)
    first = unicodedata.normalize("NFKC", text[:1])
    risky = first and (first[0] in _FORMULA_START or first[0].isspace() or unicodedata.category(text[0])[0] in "CZ")
    return "'" + text if risky else text


def csv_row(p: Post) -> list[str]:
    c, e = p.classification, p.engagement
    values = [p.id, p.created_at.isoformat(), p.platform, p.source, p.author, p.url, p.lang, c.sentiment,
              c.sentiment_score, c.hoax, c.hoax_score, c.matched_claim_url, p.campaigns, p.hashtags, e.likes,
              e.reposts, e.replies, e.views, p.title, p.text]
    return [_cell(v) for v in values]


def csv_lines(posts: Iterator[Post]) -> Iterator[str]:
    """The file starts with a UTF-8 byte order mark: Excel reads a CSV without one in the local code page and
    garbles every non-ASCII character (names, emoji)."""
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for n, post in enumerate(posts, 1):
        writer.writerow(csv_row(post))
        if n % 200 == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def ndjson_lines(posts: Iterator[Post]) -> Iterator[str]:
    for post in posts:
        yield json.dumps(post.model_dump(mode="json", exclude={"raw"}), ensure_ascii=False) + "\n"


@router.get("/posts", summary="Export matching posts as CSV or NDJSON (streamed, in the order asked)",
            response_class=StreamingResponse,
            responses={200: {"description": "A file download", "content": {
                "text/csv": {"example": ",".join(CSV_COLUMNS) + "\r\n3f2a...,2024-11-01T08:00:00+00:00,mastodon,..."},
                "application/x-ndjson": {"example": '{"id": "3f2a...", "text": "...", "campaigns": ["asean"]}\n'},
            }}})
def export_posts(request: Request,
                 format: Literal["csv", "ndjson"] = Query("csv", description="csv (spreadsheet) or ndjson"),
                 query: PostQuery = Depends(post_query), ctx: AppContext = Depends(get_ctx),
                 principal: Principal = Depends(authenticate),
                 saved_search: str | None = Query(None, description="Export this saved search (its query and "
                                                  "filters, instead of the ones above)"),
                 sort: Sort = Query("oldest", description="The order of `GET /posts` (the analyst page passes its "
                                    "own, so the file lists the rows as the page does)")) -> StreamingResponse:
    """Same filters and orders as `GET /posts`, restricted to the caller's workspace; no page limit. CSV starts with
    a UTF-8 byte order mark (for Excel)."""
    if saved_search:  # empty like the other filters: absent
        query = visible_search(principal, searches(request), saved_search).post_query()
    visible = visible_campaign_ids(principal, ctx.store)
    posts = (shown_post(principal, visible, p) for p in ctx.store.scan(scope_query(principal, ctx.store, query), sort))
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    if format == "csv":
        body, media = csv_lines(posts), "text/csv; charset=utf-8"
    else:
        body, media = ndjson_lines(posts), "application/x-ndjson"
    return StreamingResponse(body, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="narrawatch-posts-{stamp}.{format}"'})
