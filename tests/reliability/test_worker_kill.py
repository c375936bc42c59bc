"""Worker killed with SIGKILL mid-collection, restarted: it resumes from its saved cursor, 0 lost, 0 duplicated.

A Mastodon-shaped server on 127.0.0.1 serves a tag timeline (statuses in the real API's JSON shape, min_id
paging); the worker runs as a real subprocess (`narrawatch collect --once`) into the embedded SQLite store.
"""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOTAL = 600
pytestmark = pytest.mark.slow


def status(i: int) -> dict:
    return {"id": str(1000 + i), "created_at": f"2026-11-20T{i // 60 % 24:02d}:{i % 60:02d}:00.000Z",
            "content": f"<p>Warga membahas <a href=\"https://mastodon.example/tags/ktt\">#<span>ktt</span></a> ke-{i}</p>",
            "spoiler_text": "", "visibility": "public", "language": "id",
            "url": f"https://mastodon.example/@warga{i % 7}/{1000 + i}", "uri": f"https://mastodon.example/statuses/{1000 + i}",
            "replies_count": i % 3, "reblogs_count": i % 5, "favourites_count": i % 11,
            "account": {"id": str(i % 7), "username": f"warga{i % 7}", "acct": f"warga{i % 7}"},
            "tags": [{"name": "ktt", "url": "https://mastodon.example/tags/ktt"}], "reblog": None}


class Timeline:
    """Statuses 0..visible-1 exist; the newest first, like the real endpoint."""

    def __init__(self):
        self.visible = 40

    def page(self, query: dict) -> list[dict]:
        limit = min(int(query.get("limit", ["20"])[0]), 40)
        ids = list(range(self.visible))
        if "min_id" in query:  # the page immediately newer than min_id
            newer = [i for i in ids if 1000 + i > int(query["min_id"][0])]
            return [status(i) for i in reversed(newer[:limit])]
        if "max_id" in query:
            ids = [i for i in ids if 1000 + i < int(query["max_id"][0])]
        return [status(i) for i in reversed(ids[-limit:])]


@pytest.fixture()
def mastodon():
    timeline = Timeline()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server API
            parts = urlsplit(self.path)
            body = json.dumps(timeline.page(parse_qs(parts.query))).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("X-RateLimit-Remaining", "299")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield timeline, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def stored_ids(db: Path) -> list[str]:
    if not db.exists():
        return []
    with sqlite3.connect(db, timeout=30) as conn:
        try:
            return [r[0] for r in conn.execute("SELECT json_extract(doc, '$.native_id') FROM posts")]
        except sqlite3.OperationalError:
            return []


def test_sigkill_mid_collection_then_restart(mastodon, tmp_path):
    timeline, base = mastodon
    config = tmp_path / "nw.yaml"
    config.write_text(
        "campaigns:\n  - {id: ktt, name: KTT, hashtags: [ktt]}\n"
        f"sources:\n  - {{type: mastodon, instance: '{base}', tags: [ktt], max_pages: 100}}\n", encoding="utf-8")
    env = {**os.environ, "NW_DATA_DIR": str(tmp_path / "var"), "NW_CONFIG_FILE": str(config)}
    cmd = [sys.executable, "-m", "service.cli", "collect", "--once"]
    db = tmp_path / "var" / "narrawatch.db"

    subprocess.run(cmd, env=env, cwd=ROOT, check=True, timeout=120, capture_output=True)
    assert len(stored_ids(db)) == 40  # first round: the newest page, cursor saved

    timeline.visible = TOTAL  # 560 new statuses arrive; catching up takes 14 pages, ~1 s apart (politeness)
    worker = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while len(stored_ids(db)) < 200 and time.monotonic() < deadline and worker.poll() is None:
        time.sleep(0.05)
    worker.send_signal(signal.SIGKILL)
    worker.wait(10)
    at_kill = len(stored_ids(db))
    assert 40 < at_kill < TOTAL, f"kill did not land mid-collection ({at_kill} stored)"
    print(f"worker killed with {at_kill} of {TOTAL} posts stored")

    subprocess.run(cmd, env=env, cwd=ROOT, check=True, timeout=180, capture_output=True)
    ids = stored_ids(db)
    assert len(ids) == len(set(ids)) == TOTAL, f"{len(ids)} stored, {len(set(ids))} distinct, {TOTAL} expected"
    assert set(ids) == {str(1000 + i) for i in range(TOTAL)}
    with sqlite3.connect(tmp_path / "var" / "collectors.db") as conn:
        cursor = json.loads(conn.execute("SELECT cursor FROM sources").fetchone()[0])
    assert cursor["tags"]["ktt"] == str(1000 + TOTAL - 1)
