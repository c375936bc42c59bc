"""Coordinated posting: distinct accounts posting the same or near-identical text (same near-duplicate group), or
the same link, within a short window. Platform-neutral: an account is `platform:author`."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from service.alerts.store import AlertStore, parse_ts, ts


@dataclass
class Burst:
    kind: str  # "text" | "link"
    key: str   # dup group id or canonical link
    accounts: list[str]
    start: datetime
    end: datetime
    evidence: list[dict]

    def figures(self) -> dict:
        return {"kind": self.kind, "key": self.key, "accounts": len(self.accounts), "posts": len(self.evidence),
                "first": self.start.isoformat(), "last": self.end.isoformat(),
                "span_seconds": (self.end - self.start).total_seconds()}


def best_window(rows: list[dict], window: timedelta) -> list[dict]:
    """The time window (<= `window` wide) holding the most distinct accounts; rows sorted by time."""
    best: list[dict] = []
    best_n = 0
    j = 0
    for i in range(len(rows)):
        while rows[i]["t"] - rows[j]["t"] > window:
            j += 1
        span = rows[j:i + 1]
        n = len({r["account"] for r in span})
        if n > best_n:
            best, best_n = span, n
    return best


def _rows(store: AlertStore, sql: str, args: list) -> list[dict]:
    out = []
    for post_id, created, platform, author, text, url in store.db.execute(sql, args):
        out.append({"post_id": post_id, "t": parse_ts(created), "account": f"{platform}:{author or '?'}",
                    "text": text[:280], "url": url})
    return out


def detect(store: AlertStore, campaign: str, groups: set[str], links: set[str], around: datetime,
           window: timedelta, min_accounts: int) -> list[Burst]:
    """Bursts among the given near-duplicate groups and links, looking one window either side of `around`."""
    bursts = []
    lo, hi = ts(around - window), ts(around + window)
    cols = "p.post_id, p.created_at, p.platform, p.author, p.text, p.url"
    for kind, keys, sql in (
        ("text", groups, f"SELECT {cols} FROM narrative_posts p WHERE p.campaign=? AND p.dup_group=? "
                         "AND p.created_at>=? AND p.created_at<=? ORDER BY p.created_at"),
        ("link", links, f"SELECT {cols} FROM post_links l JOIN narrative_posts p ON p.campaign=l.campaign AND "
                        "p.post_id=l.post_id WHERE l.campaign=? AND l.link=? AND l.created_at>=? AND l.created_at<=? "
                        "ORDER BY l.created_at"),
    ):
        for key in keys:
            rows = _rows(store, sql, [campaign, key, lo, hi])
            if len(rows) < min_accounts:
                continue
            span = best_window(rows, window)
            accounts = list(dict.fromkeys(r["account"] for r in span))
            if len(accounts) >= min_accounts:
                evidence = [{"post_id": r["post_id"], "account": r["account"], "at": r["t"].isoformat(),
                             "text": r["text"], "url": r["url"]} for r in span[:50]]
                bursts.append(Burst(kind, key, accounts, span[0]["t"], span[-1]["t"], evidence))
    return bursts
