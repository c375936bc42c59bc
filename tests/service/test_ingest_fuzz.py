"""The file importer under mutated real-shaped payloads: it never crashes, and every line it does not turn into a
post is quarantined with a reason (nothing is silently dropped)."""
from __future__ import annotations

import json

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from service.ingest import import_file
from core.quarantine import Quarantine
from tests.service.test_ingest import SNSCRAPE_TELEGRAM, SNSCRAPE_TWEET

SEEDS = [json.dumps(SNSCRAPE_TWEET), json.dumps(SNSCRAPE_TELEGRAM),
         json.dumps({"source": "x", "native_id": "1", "text": "teks", "created_at": "2024-01-01T00:00:00Z"})]
JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                       max_size=3), max_leaves=8)


@st.composite
def mutated_line(draw) -> str:
    seed = draw(st.sampled_from(SEEDS))
    kind = draw(st.sampled_from(["truncate", "flip", "field"]))
    if kind == "truncate":
        return seed[: draw(st.integers(0, len(seed)))]
    if kind == "flip":
        data = bytearray(seed.encode())
        for _ in range(draw(st.integers(1, 5))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(1, 255))
        return data.decode("utf-8", "replace").replace("\n", " ")
    record = json.loads(seed)
    record[draw(st.sampled_from(sorted(record)))] = draw(JSON_VALUES)
    return json.dumps(record)


@example(lines=['{\r"_type": 1}', '{"text": "a\x0bb", "date": "2024-01-01"}'])  # \r and \x0b stay inside a record
@example(lines=['{"text": "a", "date": Infinity, "likes": 1e400}', "[" * 100_000, '{"text": "a", "date": 1e20}',
                '{"text": "a", "date": "0001-01-01T00:00:00+01:00"}'])  # used to abort the whole import
@settings(max_examples=150, deadline=None, derandomize=True,  # the same examples every CI run
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(mutated_line(), min_size=1, max_size=8))
def test_importer_never_crashes_and_accounts_for_every_line(tmp_path_factory, lines):
    tmp = tmp_path_factory.mktemp("fuzz")
    path = tmp / "mutated.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    quarantine = Quarantine(tmp / "q.jsonl")
    posts = list(import_file(path, quarantine, report=lambda _: None))
    # JSONL lines end at "\n" only (not at \x0b, \x85 or U+2028, which str.splitlines would also split on)
    non_blank = sum(1 for line in path.read_bytes().split(b"\n")  # read_text would fold \r into \n
                    if line.decode("utf-8", "replace").strip())
    assert len(posts) + quarantine.count == non_blank
    if quarantine.count:
        kept = [json.loads(x) for x in quarantine.path.read_text(encoding="utf-8").splitlines()]
        assert all(k["reason"] and k["line"] >= 1 for k in kept)
