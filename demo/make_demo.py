"""The demo corpus at run time: dated posts relative to now, the seeded debunked claims, and the live replay.

    python demo/make_demo.py write  --out var/demo/input --data-dir var/demo   # posts.jsonl + replay.jsonl + claims
    NW_DEMO_KEY=nwk_... python demo/make_demo.py replay --url http://127.0.0.1:8000 var/demo/input/replay.jsonl

`corpus.jsonl` is the template written for the demo: history posts carry `offset_minutes` (before now), replay posts
`delay_seconds` (after the replay starts). `claims.json` holds the invented fact-checks that claim matching uses; in
production they come from fact-check feeds (service.claim_store), here they are put in the data dir before `init`.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from core.periods import DEFAULT_ZONE

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "corpus.jsonl"
CLAIMS = HERE / "claims.json"
RECENT_MINUTES = 180  # posts this recent are squeezed into today (UTC and WIB) so today's digest is never empty
# Two malformed records, on purpose: the import reports them with file and line, quarantines them, and goes on.
MALFORMED = ['{"source": "demo:telegram", "native_id": "demo-bad-1", "text": "tanggal rusak", "created_at": "kemarin"}',
             '{"source": "demo:mastodon", "native_id": "demo-bad-2", "text": "baris terpotong"']


def template(path: Path = TEMPLATE) -> tuple[list[dict], list[dict]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if "offset_minutes" in r], [r for r in rows if "delay_seconds" in r]


def to_post(row: dict, created_at: datetime) -> dict:
    """A template row as a post in narrawatch's JSONL import format."""
    return {"source": f"demo:{row['platform']}", "native_id": row["native_id"], "platform": row["platform"],
            "url": row["url"], "author": row["author"], "text": row["text"],
            "created_at": created_at.isoformat(timespec="seconds"), "engagement": row["engagement"]}


def dated(offset_minutes: float, now: datetime) -> datetime:
    """now + offset; the last RECENT_MINUTES are compressed to fit after today's midnight in UTC and in the default
    zone of the digests (WIB), whichever came last: from 17:00 UTC the WIB day has just begun."""
    if offset_minutes >= -RECENT_MINUTES:
        local = [now, now.astimezone(ZoneInfo(DEFAULT_ZONE))]
        since_midnight = min((t - t.replace(hour=0, minute=0, second=0, microsecond=0)).total_seconds() / 60
                             for t in local)
        offset_minutes *= min(1.0, since_midnight / (RECENT_MINUTES + 1))
    return now + timedelta(minutes=offset_minutes)


def write(out: Path, now: datetime | None = None, malformed: bool = True) -> dict[str, int]:
    """Write out/posts.jsonl (history, dated relative to `now`) and out/replay.jsonl (the template rows)."""
    now = now or datetime.now(timezone.utc)
    history, replay = template()
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "posts.jsonl", "w", encoding="utf-8") as f:
        for row in history:
            f.write(json.dumps(to_post(row, dated(row["offset_minutes"], now)), ensure_ascii=False) + "\n")
        if malformed:
            f.write("\n".join(MALFORMED) + "\n")
    with open(out / "replay.jsonl", "w", encoding="utf-8") as f:
        for row in replay:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return {"history": len(history), "replay": len(replay)}


def seed_claims(data_dir: Path) -> int:
    """Put the demo's debunked claims where the classify stage loads them from (as a fact-check feed would)."""
    from service.claim_store import ClaimStore
    from service.config import Settings

    data_dir.mkdir(parents=True, exist_ok=True)
    return ClaimStore(Settings(data_dir=data_dir)).put(json.loads(CLAIMS.read_text(encoding="utf-8")))


def replay(url: str, key: str, path: Path, speed: float = 1.0, log=print) -> int:
    """POST each replay row to /posts at its delay (divided by `speed`), dated at the moment it is sent."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    start, sent = time.monotonic(), 0
    for row in rows:
        wait = start + row["delay_seconds"] / speed - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        body = json.dumps([to_post(row, datetime.now(timezone.utc))]).encode()
        req = urllib.request.Request(f"{url.rstrip('/')}/posts", body, method="POST",
                                     headers={"Content-Type": "application/json", "X-API-Key": key})
        try:
            # the first post pays for the claim index (8,000+ seeded debunks, built on first use): 10-40 s on a busy box
            with urllib.request.urlopen(req, timeout=120) as resp:
                resp.read()
            sent += 1
            log(f"[replay] {row['author']}: {row['text'][:70]}")
        except (urllib.error.URLError, OSError) as exc:
            log(f"[replay] stopped: {exc}")
            break
    return sent


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("write", help="dated posts.jsonl + replay.jsonl; seed the claims into --data-dir")
    w.add_argument("--out", type=Path, required=True)
    w.add_argument("--data-dir", type=Path, help="narrawatch data dir to seed the demo's debunked claims into")
    r = sub.add_parser("replay", help="send replay.jsonl to a running server (key in env NW_DEMO_KEY)")
    r.add_argument("file", type=Path)
    r.add_argument("--url", default="http://127.0.0.1:8000")
    r.add_argument("--speed", type=float, default=1.0, help="time factor: 2 = twice as fast")
    args = ap.parse_args(argv)
    if args.cmd == "write":
        counts = write(args.out)
        claims = seed_claims(args.data_dir) if args.data_dir else 0
        print(f"demo corpus: {counts['history']} posts dated up to now, {counts['replay']} to replay live, "
              f"{claims} debunked claims seeded")
        return 0
    key = os.environ.get("NW_DEMO_KEY")
    if not key:
        print("set NW_DEMO_KEY to an API key that may write posts (e.g. `narrawatch keys create`)", file=sys.stderr)
        return 2
    print(f"[replay] {replay(args.url, key, args.file, args.speed, log=lambda m: print(m, flush=True))} posts sent")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
