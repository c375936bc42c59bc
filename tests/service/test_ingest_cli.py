"""The real `narrawatch ingest` command on files mixing valid rows with every record that used to abort the import:
exit 0, the valid rows stored, each bad line quarantined as file:line: reason, and a second import adds nothing."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from core.quarantine import read_quarantine
from service.store.base import Page, PostQuery
from service.store.sqlite import SQLiteStore
from tests.service.test_ingest_robust import HEADER, mixed_jsonl

NARRAWATCH = Path(sys.executable).parent / "narrawatch"


def _ingest(tmp_path: Path, *files: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NW_")}  # SQLite in tmp, whatever the caller set
    env.update(NW_DATA_DIR=str(tmp_path / "var"), COLUMNS="80")
    return subprocess.run([str(NARRAWATCH), "ingest", *map(str, files)], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600)


def test_ingest_command_keeps_valid_rows_and_quarantines_each_bad_line_once(tmp_path):
    jsonl, good, bad = mixed_jsonl(tmp_path)
    csv_path = tmp_path / "rows.csv"
    csv_path.write_bytes(b"\xef\xbb\xbf" + HEADER + b'c1,satu,2024-03-01,ani\nc2,"tanpa tutup,2024-03-01,budi\n'
                         b"c3,caf\xe9,2024-03-01,cici\nc4,empat,0001-01-01T00:00:00+01:00,dodi\nc5,lima,1700000000000,eko\n")
    run = _ingest(tmp_path, jsonl, csv_path)
    assert run.returncode == 0, run.stderr[-3000:]
    stderr_lines = run.stderr.splitlines()
    for n in bad:
        assert any(ln.startswith(f"skipped {jsonl}:{n}: ") for ln in stderr_lines), (n, run.stderr[-3000:])

    store = SQLiteStore(tmp_path / "var" / "narrawatch.db")
    stored = store.search(PostQuery(), Page(limit=100)).posts
    assert sorted(p.native_id for p in stored) == sorted(good + ["c1", "c5"])
    assert store.count(PostQuery()) == len(good) + 2

    qdir = tmp_path / "var" / "quarantine"
    kept = read_quarantine(qdir / "mixed.jsonl")
    assert [(k["source"], k["line"]) for k in kept] == [(str(jsonl), n) for n in bad]
    assert all(bad[k["line"]] in k["reason"] for k in kept)
    rows = [(k["line"], k["reason"]) for k in read_quarantine(qdir / "rows.jsonl")]
    cafe = csv_path.read_bytes().index(b"\xe9")
    assert rows == [(3, "unbalanced quote: the quoted field opened on line 3 runs to line 6 (end of file)"),
                    (4, f"invalid UTF-8 at byte {cafe} (0xe9)"),
                    (5, "date 0001-01-01T00:00:00+01:00 is out of range (1970-01-01 .. 2099-12-31 23:59:59 UTC)")]

    before = {p.name: p.read_bytes() for p in qdir.iterdir()}
    again = _ingest(tmp_path, jsonl, csv_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert {p.name: p.read_bytes() for p in qdir.iterdir()} == before  # no quarantine line appended
    assert store.count(PostQuery()) == len(good) + 2  # and no post duplicated
