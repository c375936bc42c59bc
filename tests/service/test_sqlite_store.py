"""SQLite-specific guarantees beyond the shared contract."""
import threading

import pytest

from service.store.base import PostQuery
from service.store.sqlite import SQLiteStore
from tests.factories import make_post


def test_a_failed_write_rolls_back_and_never_leaves_the_file_locked(tmp_path, monkeypatch):
    store = SQLiteStore(tmp_path / "db.sqlite")
    store.init()
    real_write = store._write
    calls = []

    def failing(post, old):
        calls.append(post.id)
        if len(calls) == 2:
            raise OverflowError("Python int too large to convert to SQLite INTEGER")
        real_write(post, old)

    monkeypatch.setattr(store, "_write", failing)
    with pytest.raises(OverflowError):
        store.upsert([make_post(1), make_post(2), make_post(3)])
    monkeypatch.setattr(store, "_write", real_write)

    other = SQLiteStore(tmp_path / "db.sqlite")  # another connection, as another request thread would have
    other.db.execute("PRAGMA busy_timeout=1000")
    done = []
    t = threading.Thread(target=lambda: done.append(other.upsert([make_post(4)])))
    t.start()
    t.join(5)
    assert done == [1], "a second writer was blocked by the failed transaction"
    assert store.count(PostQuery()) == 1  # nothing of the failed batch was kept
