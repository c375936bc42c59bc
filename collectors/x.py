"""X (Twitter) API v2: recent or full-archive search, and the filtered stream. Bearer token from config or env.

Search (`XSearchCollector`): one query per campaign (keywords, #hashtags, from:accounts). Cursor:
{"queries": {query: {"since_id": id}}}; while a catch-up is larger than `max_pages` it is
{"since_id": S, "until_id": U, "high": H}: tweets in [U, H] are stored, (S, U) is fetched next round before anything
newer, so nothing in the 7-day (recent) window is skipped. X pages newest→oldest, so a run gathers all its pages first
and emits them oldest→newest; the cursor advances only with accepted batches.

Stream (`XStreamCollector`): rules tagged `narrawatch:<campaign>` are synced with the campaigns (other rules of the
app are left alone), then `/2/tweets/search/stream` is read for about `max_seconds` per round (checked per line; X
sends a keep-alive every 20 s, a silent connection times out after `read_timeout`), reconnecting as X
asks: network errors back off linearly (0.25 s steps, ≤ 16 s), HTTP errors exponentially (5 s, ≤ 320 s), 429 until
`x-rate-limit-reset` (else 60 s doubling). The stream cannot resume from an id (only Pro's `backfill_minutes`).
Connection attempts are counted in the source's quota (X allows 50 per 15 minutes): when a hang-up storm has spent
them, the round ends and the scheduler brings the stream back when one frees.

Authors are resolved to `@username` from `includes.users`; retweets, quotes and replies carry their original
(`raw.retweet_of` / `quote_of` / `reply_to`); a retweet's text is its original's full text when X included it;
X's language codes are mapped to ISO 639-1 (`in` → `id`, `iw` → `he`; `und` and X's `q*`/`zxx` tags → none).
A tweet without `created_at` gets the instant encoded in its snowflake id.
"""
from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from typing import Any

import httpx

from collectors.base import Batch, Parsed, Reject, build_post, decode_json, id_key, nonneg_int, parse_dt
from collectors.http import CollectorHttpError, HttpClient, rate_limit_wait
from collectors.quota import Limit, Quota, QuotaExhausted
from core.domain import Campaign, Engagement

API = "https://api.x.com"
TWEET_FIELDS = "created_at,lang,public_metrics,entities,conversation_id,referenced_tweets,author_id"
# author_id → @username; referenced_tweets.id → a retweet's full original text and its author
EXPANSIONS = "author_id,referenced_tweets.id,referenced_tweets.id.author_id"
USER_FIELDS = "username"
RULE_TAG = "narrawatch:"
SNOWFLAKE_EPOCH_MS = 1288834974657
LANGS = {"in": "id", "iw": "he", "ji": "yi"}  # X keeps the withdrawn ISO 639 codes
NO_LANG = {"und", "zxx", "art", "qam", "qct", "qht", "qme", "qst"}


class XApiError(CollectorHttpError):
    pass


def x_lang(code: Any) -> str | None:
    if not isinstance(code, str) or not code.strip():
        return None
    code = code.strip().lower()
    return None if code in NO_LANG else LANGS.get(code, code)


def snowflake_ms(tweet_id: str) -> int | None:
    """Epoch milliseconds encoded in a tweet id (ids since Nov 2010: 41-bit time since X's epoch, then 22 bits)."""
    return (int(tweet_id) >> 22) + SNOWFLAKE_EPOCH_MS if tweet_id.isdigit() and int(tweet_id) >> 22 else None


def _by_id(items: Any) -> dict[str, dict]:
    return {str(x["id"]): x for x in items or [] if isinstance(x, dict) and x.get("id") is not None} \
        if isinstance(items, list) else {}


def _url(username: str | None, tid: str) -> str:
    return f"https://x.com/{username}/status/{tid}" if username else f"https://x.com/i/web/status/{tid}"


def _entities(tweet: dict) -> tuple[list[str], list[str]]:
    ent = tweet.get("entities") if isinstance(tweet.get("entities"), dict) else {}
    tags = [h["tag"] for h in ent.get("hashtags") or [] if isinstance(h, dict) and isinstance(h.get("tag"), str)]
    links = []
    for u in ent.get("urls") or []:
        if not isinstance(u, dict) or u.get("media_key") or str(u.get("display_url", "")).startswith("pic."):
            continue  # media permalinks say nothing about sources
        link = u.get("unwound_url") or u.get("expanded_url") or u.get("url")
        if isinstance(link, str) and link.startswith("http"):
            links.append(link)
    return tags, links


def parse_tweets(payload: Any, *, source: str, campaigns: Sequence[Campaign]) -> Parsed:
    """A search page or one stream line (`data` a list or one tweet) → posts; bad tweets become rejects.
    `extra["ids"]`: every tweet id seen (rejected ones too, so the cursor moves past them)."""
    out = Parsed()
    payload = decode_json(payload, out, dict, "response is not a JSON object")
    if out.extra.get("unparseable"):
        return out
    data = payload.get("data", [])
    data = [data] if isinstance(data, dict) else data
    if not isinstance(data, list):
        return out.unparseable("`data` is neither a tweet nor a list of tweets", payload)
    includes = payload.get("includes") if isinstance(payload.get("includes"), dict) else {}
    users = {uid: u.get("username") for uid, u in _by_id(includes.get("users")).items()
             if isinstance(u.get("username"), str)}
    originals = _by_id(includes.get("tweets"))
    ids = []
    for tweet in data:
        try:
            if not isinstance(tweet, dict):
                raise ValueError("tweet is not an object")
            tid = tweet.get("id")
            if not isinstance(tid, str) or not tid.isdigit():
                raise ValueError("missing or non-numeric tweet id")
            ids.append(tid)
            username = users.get(str(tweet.get("author_id")))
            links_to = {}
            for ref in tweet.get("referenced_tweets") or []:
                if isinstance(ref, dict) and isinstance(ref.get("id"), str):
                    orig = originals.get(ref["id"], {})
                    orig_user = users.get(str(orig.get("author_id")))
                    links_to[ref.get("type")] = {"id": ref["id"], "author": f"@{orig_user}" if orig_user else None,
                                                 "url": _url(orig_user, ref["id"])}
            text = tweet.get("text") if isinstance(tweet.get("text"), str) else ""
            tags, links = _entities(tweet)
            retweeted = originals.get(links_to.get("retweeted", {}).get("id", ""))
            if retweeted and isinstance(retweeted.get("text"), str):
                text = retweeted["text"]  # "RT @x: …" is cut at 140 characters; analyse the original
                tags, links = _entities(retweeted)
            if "created_at" in tweet:
                created = parse_dt(tweet.get("created_at"))  # present but unreadable: quarantined
            else:
                created = parse_dt(snowflake_ms(tid))
            pm = tweet.get("public_metrics") if isinstance(tweet.get("public_metrics"), dict) else {}
            post = build_post(
                campaigns, source=source, native_id=tid, platform="twitter", text=text, created_at=created,
                url=_url(username, tid), author=f"@{username}" if username else None, lang=x_lang(tweet.get("lang")),
                engagement=Engagement(likes=nonneg_int(pm.get("like_count")),
                                      reposts=nonneg_int(pm.get("retweet_count")),
                                      replies=nonneg_int(pm.get("reply_count")),
                                      views=nonneg_int(pm.get("impression_count"))),
                hashtags=tags or None, links=links,  # t.co text links say nothing: entities only
                raw={"id": tid, "author_id": tweet.get("author_id"), "created_at": tweet.get("created_at"),
                     "lang": tweet.get("lang"), "conversation_id": tweet.get("conversation_id"), "text": tweet.get("text"),
                     "retweet_of": links_to.get("retweeted"), "quote_of": links_to.get("quoted"),
                     "reply_to": links_to.get("replied_to"),
                     "matching_rules": payload.get("matching_rules")},
            )
        except Exception as exc:  # one bad tweet must not cost the others
            out.reject(exc, tweet)
            continue
        out.posts.append(post)
    out.extra["ids"] = ids
    meta = payload.get("meta") if isinstance(payload.get("meta"), dict) else {}
    out.extra["next"] = meta.get("next_token") if isinstance(meta.get("next_token"), str) else None
    return out


def _problem(fetched_text: str) -> str:
    """X's problem JSON (`title`, `detail`, `reason`, `errors[].message`) as one line."""
    try:
        body = json.loads(fetched_text)
    except ValueError:
        return fetched_text[:200]
    if not isinstance(body, dict):
        return str(body)[:200]
    errs = body.get("errors") if isinstance(body.get("errors"), list) else []
    parts = [body.get("title"), body.get("reason"), body.get("detail")] + [
        e.get("message") for e in errs if isinstance(e, dict)]
    return ": ".join(str(p) for p in parts if p)[:300] or fetched_text[:200]


def campaign_query(campaign: Campaign) -> str | None:
    """keywords (quoted when they hold a space), #hashtags and from:accounts, OR-ed."""
    terms = [f'"{k}"' if " " in k.strip() else k.strip() for k in campaign.keywords if k.strip()]
    terms += [f"#{h}" for h in campaign.hashtags] + [f"from:{a.lstrip('@')}" for a in campaign.accounts if a.strip("@ ")]
    if not terms:
        return None
    return terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")"


class _XBase:
    def __init__(self, bearer_token: str | None, http: HttpClient, api_url: str, clock=None):
        self.bearer_token, self.http, self.api_url = bearer_token, http, api_url.rstrip("/")
        self.clock = clock or time.time  # epoch seconds: x-rate-limit-reset is an epoch instant

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), timezone.utc)

    def _auth(self) -> dict:
        if not self.bearer_token:
            raise XApiError("no X bearer token configured (bearer_token or X_BEARER_TOKEN)")
        return {"Authorization": f"Bearer {self.bearer_token}"}

    def _get(self, path: str, params: dict | None = None):
        fetched = self.http.get(self.api_url + path, params=params, headers=self._auth(), respect_robots=False,
                                ok_statuses=(200, 400, 401, 403, 404))
        if fetched.status != 200:
            raise XApiError(f"X API {fetched.status} on {path}: {_problem(fetched.text)}", status=fetched.status)
        # x-rate-limit-remaining/-reset: pause before the window runs dry
        wait = rate_limit_wait(fetched.headers, now=self._now())
        if wait > 0:
            self._window_spent(wait)
        return fetched

    def _window_spent(self, wait: float) -> None:
        self.http.sleep(wait)  # the stream's rule calls: wait in place


class XSearchCollector(_XBase):
    type = "x"

    def __init__(self, *, queries: Sequence[str], bearer_token: str | None, campaigns: Sequence[Campaign],
                 http: HttpClient, name: str | None = None, interval_seconds: float = 300, archive: bool = False,
                 max_results: int = 100, backfill_pages: int = 1, max_pages: int = 10, start_time: str | None = None,
                 only_matching: bool = False, api_url: str = API, clock=None):
        super().__init__(bearer_token, http, api_url, clock)
        self.queries = list(dict.fromkeys(q for q in queries if q.strip()))
        self.campaigns = list(campaigns)
        self.archive = archive
        self.name = name or ("x:search-all" if archive else "x:search")
        self.path = "/2/tweets/search/all" if archive else "/2/tweets/search/recent"
        self.interval_seconds, self.start_time, self.only_matching = interval_seconds, start_time, only_matching
        self.max_results = min(max(max_results, 10), 500 if archive else 100)
        self.backfill_pages, self.max_pages = max(backfill_pages, 1), max(max_pages, 1)

    def _window_spent(self, wait: float) -> None:
        """The rate-limit window is spent: finish this page and stop the run; the scheduler brings the source back
        at the window's reset (`not_before`) instead of this collector sleeping while the other sources wait."""
        self.not_before = self.clock() + wait

    def collect(self, cursor: dict | None) -> Iterator[Batch]:
        state = {"queries": {}, **(cursor or {})}
        state["queries"] = dict(state.get("queries") or {})
        self.not_before = 0.0
        for query in self.queries:
            if self.not_before > self.clock():
                return  # the remaining queries come first thing after the reset
            qstate = dict(state["queries"].get(query) or {})
            since, until, high = qstate.get("since_id"), qstate.get("until_id"), qstate.get("high")
            params = {"query": query, "max_results": self.max_results, "tweet.fields": TWEET_FIELDS,
                      "expansions": EXPANSIONS, "user.fields": USER_FIELDS}
            if since:
                params["since_id"] = since
            elif self.start_time:
                params["start_time"] = self.start_time
            if until:
                params["until_id"] = until
            pages = self.max_pages if since else self.backfill_pages
            posts, rejects, ids, token = [], [], [], None
            for _ in range(pages):
                fetched = self._get(self.path, {**params, "pagination_token": token} if token else params)
                parsed = parse_tweets(fetched.text, source=self.name, campaigns=self.campaigns)
                rejects += parsed.rejects
                if parsed.extra.get("unparseable"):
                    raise XApiError(f"X API answer unreadable: {parsed.rejects[0].reason}")
                posts += parsed.posts
                ids += parsed.extra["ids"]
                token = parsed.extra["next"]
                if not token or self.not_before > self.clock():  # a catch-up cut here keeps its gap (until_id)
                    break
            if not ids:
                if rejects:
                    yield Batch(rejects=rejects)
                continue
            newest = max(ids + ([high] if high else []), key=id_key)
            if token and since:  # more than max_pages of backlog: keep the gap (since, oldest) for next round
                final = {"since_id": since, "until_id": min(ids, key=id_key), "high": newest}
            else:
                final = {"since_id": newest}
            posts.sort(key=lambda p: id_key(p.native_id))
            keep = [p for p in posts if not self.only_matching or p.campaigns]
            chunks = [keep[i:i + 100] for i in range(0, len(keep), 100)] or [[]]
            gap = bool(until) or "until_id" in final  # inside a gap only the run's end is a safe resume point
            for i, chunk in enumerate(chunks):
                if i == len(chunks) - 1:
                    qcur = final
                else:  # emitted oldest first: everything up to this chunk's newest id is stored
                    qcur = None if gap else {"since_id": chunk[-1].native_id}
                if qcur is not None:
                    state = {**state, "queries": {**state["queries"], query: qcur}}
                yield Batch(posts=chunk, rejects=rejects if i == 0 else [],
                            cursor=json.loads(json.dumps(state)) if qcur is not None else None)


def campaign_rules(campaigns: Sequence[Campaign], extra_rule: str = "") -> list[dict]:
    """One filtered-stream rule per campaign, tagged narrawatch:<campaign id>."""
    rules = []
    for c in campaigns:
        q = campaign_query(c)
        if q:
            rules.append({"value": f"{q} {extra_rule}".strip(), "tag": f"{RULE_TAG}{c.id}"})
    return rules


class XStreamCollector(_XBase):
    type = "x-stream"

    def __init__(self, *, campaigns: Sequence[Campaign], bearer_token: str | None, http: HttpClient,
                 name: str | None = None, interval_seconds: float = 60, rules: Sequence[dict] | None = None,
                 extra_rule: str = "", max_seconds: float = 50, batch_size: int = 100, max_connections: int = 20,
                 backfill_minutes: int = 0, read_timeout: float = 90.0, api_url: str = API, clock=None,
                 connections_per_15min: int = 50):
        super().__init__(bearer_token, http, api_url, clock)
        self.quota = Quota({"connections": Limit(connections_per_15min, 900)}, clock=self.clock)
        self.campaigns = list(campaigns)
        self.name = name or "x:stream"
        self.rules = list(rules) if rules is not None else campaign_rules(self.campaigns, extra_rule)
        self.interval_seconds, self.max_seconds, self.batch_size = interval_seconds, max_seconds, max(batch_size, 1)
        self.max_connections, self.backfill_minutes, self.read_timeout = max_connections, backfill_minutes, read_timeout

    # --- rules ------------------------------------------------------------------------------------
    def _post_rules(self, body: dict) -> dict:
        resp = self.http.client.post(self.api_url + "/2/tweets/search/stream/rules", json=body, headers=self._auth())
        if resp.status_code not in (200, 201):
            raise XApiError(f"X API {resp.status_code} on stream rules: {_problem(resp.text)}", status=resp.status_code)
        return resp.json()

    def sync_rules(self) -> dict:
        """Make the app's narrawatch:* rules equal the wanted ones (delete stale, add missing); others untouched."""
        current = self._get("/2/tweets/search/stream/rules").json()
        ours = [r for r in (current.get("data") or [])
                if isinstance(r, dict) and str(r.get("tag", "")).startswith(RULE_TAG)]
        wanted = {(r["value"], r["tag"]) for r in self.rules}
        stale = [r["id"] for r in ours if (r.get("value"), r.get("tag")) not in wanted]
        have = {(r.get("value"), r.get("tag")) for r in ours}
        missing = [r for r in self.rules if (r["value"], r["tag"]) not in have]
        if stale:
            self._post_rules({"delete": {"ids": stale}})
        if missing:
            self._post_rules({"add": [{"value": r["value"], "tag": r["tag"]} for r in missing]})
        return {"deleted": stale, "added": missing}

    # --- stream -----------------------------------------------------------------------------------
    def _backoff(self, kind: str, n: int, headers=None) -> float:
        if kind == "network":
            return min(16.0, 0.25 * n)
        if kind == "rate":
            wait = rate_limit_wait(headers or {}, min_remaining=0, cap=900.0, now=self._now())
            return wait if wait > 0 else min(900.0, 60.0 * 2 ** (n - 1))
        return min(320.0, 5.0 * 2 ** (n - 1))

    def _read_line(self, line: str, posts: list, rejects: list) -> None:
        probe = Parsed()
        body = decode_json(line, probe)
        if probe.extra.get("unparseable"):
            rejects += probe.rejects
        elif isinstance(body, dict) and body.get("errors") and "data" not in body:
            rejects.append(Reject(f"stream error: {_problem(line)}", line))  # e.g. operational-disconnect
        else:
            parsed = parse_tweets(body, source=self.name, campaigns=self.campaigns)
            posts += parsed.posts
            rejects += parsed.rejects
            self._last_seen = max(parsed.extra.get("ids") or [None], key=lambda i: id_key(i or 0))

    def collect(self, cursor: dict | None) -> Iterator[Batch]:
        self._last_seen = None
        self.sync_rules()
        params = {"tweet.fields": TWEET_FIELDS, "expansions": EXPANSIONS, "user.fields": USER_FIELDS}
        if self.backfill_minutes:
            params["backfill_minutes"] = self.backfill_minutes
        started, clock = self.http.clock(), self.http.clock
        last = (cursor or {}).get("last_id")
        posts, rejects = [], []
        errors = {"network": 0, "http": 0, "rate": 0}
        timeout = httpx.Timeout(self.read_timeout, connect=10.0)

        def batch() -> Batch:
            nonlocal posts, rejects
            b = Batch(posts=posts, rejects=rejects, cursor={"last_id": last} if last else None)
            posts, rejects = [], []
            return b

        self.not_before = 0.0
        for _ in range(self.max_connections):
            if clock() - started >= self.max_seconds:
                break
            try:  # X allows 50 connection attempts per 15 minutes: a hang-up storm must not spend more
                self.quota.spend("connections")
            except QuotaExhausted as spent:
                self.not_before = spent.retry_at  # the scheduler brings the stream back when one frees
                break
            wait = 0.0
            try:
                with self.http.client.stream("GET", self.api_url + "/2/tweets/search/stream", params=params,
                                             headers=self._auth(), timeout=timeout) as resp:
                    if resp.status_code == 429:
                        errors["rate"] += 1
                        wait = self._backoff("rate", errors["rate"], resp.headers)
                    elif resp.status_code >= 500:
                        errors["http"] += 1
                        wait = self._backoff("http", errors["http"])
                    elif resp.status_code != 200:
                        problem = _problem(resp.read().decode("utf-8", "replace"))
                        raise XApiError(f"X API {resp.status_code} on stream: {problem}", status=resp.status_code)
                    else:
                        errors = {"network": 0, "http": 0, "rate": 0}
                        for line in resp.iter_lines():
                            if line.strip():  # blank lines are keep-alives
                                self._read_line(line, posts, rejects)
                                last = max([i for i in (last, self._last_seen) if i], key=id_key, default=None)
                                if len(posts) >= self.batch_size:
                                    yield batch()
                            if clock() - started >= self.max_seconds:
                                break
                        else:  # the server closed the stream: reconnect at once, then back off
                            errors["network"] += 1
                            wait = self._backoff("network", errors["network"])
            except httpx.TransportError:
                errors["network"] += 1
                wait = self._backoff("network", errors["network"])
            if posts or rejects:
                yield batch()
            if wait > 0:
                self.http.sleep(wait)
        if posts or rejects:
            yield batch()
