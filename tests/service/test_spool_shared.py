"""Replicas on one volume share the spool: a batch another process already replayed is skipped, never an error."""
from __future__ import annotations

from core.quarantine import Quarantine
from service.spool import Spool
from tests.factories import make_post


def test_two_processes_draining_one_spool_replay_every_batch_without_failing(tmp_path):
    a, b = Spool(tmp_path / "spool"), Spool(tmp_path / "spool")
    for n in range(3):
        a.put([make_post(n), make_post(n + 10)])
    written: list[str] = []

    def write_a(posts):
        if not written:  # while A replays its first batch, B replays everything (A has already listed the files)
            b.drain(lambda more: written.extend(p.id for p in more) or len(more), Quarantine(None))
        written.extend(p.id for p in posts)
        return len(posts)

    a.drain(write_a, Quarantine(None))
    assert set(written) == {make_post(n).id for n in (0, 1, 2, 10, 11, 12)}
    assert a.batches() == [] and a.pending() == 0
