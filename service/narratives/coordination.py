"""Coordinated posting: distinct accounts posting the same or near-identical text (same near-duplicate group), or
the same link, within a short window. Platform-neutral: an account is `platform:author`."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from service.alerts.records import parse_ts
from service.narratives.ledger import NarrativeLedger


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


def _rows(posts: list[dict]) -> list[dict]:
    return [{"post_id": p["post_id"], "t": parse_ts(p["created_at"]),
             "account": f"{p['platform']}:{p.get('author') or '?'}", "text": p["text"][:280], "url": p.get("url")}
            for p in posts]


def detect(ledger: NarrativeLedger, campaign: str, groups: set[str], links: set[str], around: datetime,
           window: timedelta, min_accounts: int) -> list[Burst]:
    """Bursts among the given near-duplicate groups and links, looking one window either side of `around`."""
    bursts = []
    lo, hi = around - window, around + window
    for kind, keys, read in (("text", groups, ledger.group_posts), ("link", links, ledger.link_posts)):
        for key in keys:
            rows = _rows(read(campaign, key, lo, hi))
            if len(rows) < min_accounts:
                continue
            span = best_window(rows, window)
            accounts = list(dict.fromkeys(r["account"] for r in span))
            if len(accounts) >= min_accounts:
                evidence = [{"post_id": r["post_id"], "account": r["account"], "at": r["t"].isoformat(),
                             "text": r["text"], "url": r["url"]} for r in span[:50]]
                bursts.append(Burst(kind, key, accounts, span[0]["t"], span[-1]["t"], evidence))
    return bursts
