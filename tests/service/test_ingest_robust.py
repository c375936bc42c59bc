"""File import robustness (issue 11 item 2): one bad record, whatever it raises, becomes a quarantine line
`file:line: reason` and the rest of the file is imported."""
from __future__ import annotations

import json

import pytest

from service.ingest import MAX_RECORD_LINES, import_file
from core.quarantine import Quarantine, read_quarantine


def _ok(n: int) -> bytes:
    return json.dumps({"text": f"valid post {n}", "date": "2024-03-01T10:00:00Z", "id": f"ok{n}"}).encode()


# every line that used to abort the whole import (traceback, exit 1, nothing stored), and the reason it now gets
BAD_JSONL = [
    (b'{"text": "likes inf", "date": "2024-03-01", "id": "b1", "likes": Infinity}', "Infinity is not a JSON number"),
    (b'{"text": "likes 1e400", "date": "2024-03-01", "id": "b2", "likes": 1e400}', "number 1e400 is out of range"),
    (b'{"text": "date 1e20", "date": 1e20, "id": "b3"}', "out of range"),
    (b'{"text": "date inf", "date": Infinity, "id": "b4"}', "Infinity is not a JSON number"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    (b'{"text": "year 1", "created_at": "0001-01-01T00:00:00+01:00", "id": "b5"}', "out of range"),
    (b'{"text": "year 9999", "created_at": "9999-12-31T23:59:59-01:00", "id": "b6"}', "out of range"),
    (b'{"text": "bad bytes \xff\xfe here", "date": "2024-03-01", "id": "b7"}', "invalid UTF-8 at byte"),
    (b'{"text": "markup in reason", "date": "[/]", "id": "b8"}', "unreadable date"),
    (b'{"text": "deep", "date": "2024-03-01", "raw": ' + b"[" * 500 + b"]" * 500 + b"}", "nested deeper than"),
]


def mixed_jsonl(tmp_path):
    """valid, bad, valid, bad, ... valid: (path, expected valid native ids, {line: reason words})."""
    lines, bad = [_ok(0)], {}
    for i, (line, words) in enumerate(BAD_JSONL, 1):
        bad[len(lines) + 1] = words
        lines += [line, _ok(i)]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path, [f"ok{i}" for i in range(len(BAD_JSONL) + 1)], bad


def test_every_bad_record_is_quarantined_with_its_line_and_the_valid_ones_are_imported(tmp_path):
    path, good, bad = mixed_jsonl(tmp_path)
    q = Quarantine(tmp_path / "q.jsonl")
    reports = []
    posts = list(import_file(path, q, report=reports.append))
    assert [p.native_id for p in posts] == good
    kept = read_quarantine(q.path)
    assert [(k["source"], k["line"]) for k in kept] == [(str(path), n) for n in bad]
    for k in kept:
        assert bad[k["line"]] in k["reason"], k
    assert [r.split(": ", 1)[0] for r in reports] == [f"{path}:{n}" for n in bad]
    utf8 = next(k for k in kept if "UTF-8" in k["reason"])
    offset = path.read_bytes().index(b"\xff\xfe")
    assert utf8["reason"] == f"invalid UTF-8 at byte {offset} (0xff)"  # the exact byte, nothing replaced
    assert "\\xff\\xfe" in utf8["payload"]  # the bytes are kept, escaped, for provenance


def test_reimporting_appends_no_quarantine_lines(tmp_path):
    path, good, bad = mixed_jsonl(tmp_path)
    qpath = tmp_path / "q.jsonl"
    assert len(list(import_file(path, Quarantine(qpath), report=lambda _: None))) == len(good)
    first = qpath.read_bytes()
    assert len(first.splitlines()) == len(bad)
    again = Quarantine(qpath)  # a new process: the file is the only memory
    assert len(list(import_file(path, again, report=lambda _: None))) == len(good)
    assert again.count == len(bad) and qpath.read_bytes() == first


def test_utf8_bom_at_the_start_of_a_jsonl_file_is_accepted(tmp_path):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + _ok(1) + b"\n" + _ok(2) + b"\n")
    q = Quarantine(tmp_path / "q.jsonl")
    assert [p.native_id for p in import_file(path, q)] == ["ok1", "ok2"] and q.count == 0


def test_an_unexpected_exception_in_one_record_is_quarantined_not_fatal(tmp_path, monkeypatch):
    """Whatever a record raises (here a RuntimeError the mapper was never written for), the import goes on."""
    import service.ingest as ingest

    real = ingest.to_post

    def flaky(record, source):
        if record.get("id") == "ok1":
            raise RuntimeError("boom")
        return real(record, source)

    monkeypatch.setattr(ingest, "to_post", flaky)
    path = tmp_path / "f.jsonl"
    path.write_bytes(b"\n".join(_ok(i) for i in range(3)) + b"\n")
    q = Quarantine(tmp_path / "q.jsonl")
    assert [p.native_id for p in import_file(path, q)] == ["ok0", "ok2"]
    assert [(k["line"], k["reason"]) for k in read_quarantine(q.path)] == [(2, "unexpected RuntimeError: boom")]


HEADER = b"id,text,date,author\n"


def _csv(tmp_path, body: bytes, name="posts.csv"):
    path = tmp_path / name
    path.write_bytes((HEADER.replace(b",", b"\t") if name.endswith(".tsv") else HEADER) + body)
    q = Quarantine(tmp_path / "q.jsonl")
    posts = list(import_file(path, q, report=lambda _: None))
    return [p.native_id for p in posts], [(k["line"], k["reason"]) for k in read_quarantine(q.path)], posts


def test_csv_quote_never_closed_is_quarantined_naming_its_span_and_the_rows_after_it_are_imported(tmp_path):
    ids, kept, _ = _csv(tmp_path, b'1,satu,2024-03-01,ani\n2,"dua tanpa tutup,2024-03-01,budi\n'
                                  b"3,tiga,2024-03-01,cici\n4,empat,2024-03-01,dodi\n")
    assert ids == ["1", "3", "4"]  # the starting code swallowed rows 3 and 4 into row 2's text
    assert kept == [(3, "unbalanced quote: the quoted field opened on line 3 runs to line 5 (end of file)")]


def test_csv_two_unbalanced_quotes_do_not_swallow_the_rows_between_them(tmp_path):
    ids, kept, _ = _csv(tmp_path, b'1,"buka,2024-03-01,ani\n2,dua,2024-03-01,budi\n3,tiga,2024-03-01,cici\n'
                                  b'4,"lagi,2024-03-01,dodi\n5,lima,2024-03-01,eko\n')
    assert ids == ["2", "3", "5"]
    assert kept == [(2, "unbalanced quote: the quoted field opened on line 2 runs to line 5 where a quote inside it "
                         "is not followed by a delimiter"),
                    (5, "unbalanced quote: the quoted field opened on line 5 runs to line 6 (end of file)")]


def test_csv_quoted_field_longer_than_the_cap_is_taken_as_unbalanced(tmp_path):
    rows = b"".join(b"%d,row %d,2024-03-01,x\n" % (n, n) for n in range(2, MAX_RECORD_LINES + 20))
    ids, kept, _ = _csv(tmp_path, b'1,"never closed,2024-03-01,ani\n' + rows + b'99999,"x\n')
    assert ids == [str(n) for n in range(2, MAX_RECORD_LINES + 20)]
    assert kept[0] == (2, f"unbalanced quote: the quoted field opened on line 2 runs to line {MAX_RECORD_LINES + 1} "
                          f"(more than {MAX_RECORD_LINES} lines)")
    assert kept[1][0] == MAX_RECORD_LINES + 21 and "unbalanced quote" in kept[1][1]


def test_csv_legit_multiline_text_and_bom_still_import(tmp_path):
    path = tmp_path / "ml.csv"
    path.write_bytes(b"\xef\xbb\xbf" + HEADER + b'1,"baris satu\nbaris ""dua""",2024-03-01,ani\n2,dua,2024-03-01,budi')
    q = Quarantine(tmp_path / "q.jsonl")
    posts = list(import_file(path, q))
    assert [(p.native_id, p.text) for p in posts] == [("1", 'baris satu\nbaris "dua"'), ("2", "dua")] and q.count == 0


@pytest.mark.parametrize("name", ["posts.csv", "posts.tsv"])
def test_csv_invalid_utf8_is_quarantined_with_the_byte_never_replaced(tmp_path, name):
    sep = b"\t" if name.endswith("tsv") else b","
    body = sep.join([b"1", b"caf\xe9 latte", b"2024-03-01", b"ani"]) + b"\n" + sep.join([b"2", b"ok", b"2024-03-01", b"b"])
    ids, kept, _ = _csv(tmp_path, body, name)
    assert ids == ["2"]
    assert kept == [(2, f"invalid UTF-8 at byte {len(HEADER) + 5} (0xe9)")]
