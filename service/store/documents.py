"""The one way to keep shared state: collections ("kinds") of JSON documents with optimistic concurrency.

Modelled on Kibana's saved objects and task manager: every process (API replicas, workers, one-shot commands)
coordinates through the store, never through a process-local lock.
- `create` refuses an existing id (Elasticsearch `op_type=create`): de-duplication keys, claims, sequence numbers.
- `replace` refuses a stale version (Elasticsearch `if_seq_no`/`if_primary_term`): read-modify-write without lost
  updates; `update()` is the retry loop around it.
- `find`/`count` filter on the fields a kind declares up front (an explicit mapping on Elasticsearch, indexed
  columns on SQLite); the rest of a body is stored, never indexed. A `keywords` field holds a list of keywords and
  matches a condition when any of them does (Elasticsearch's arrays; a ",a,b," column on SQLite).
- `put_many` writes many documents in one request (Elasticsearch `_bulk`) or one transaction (seeding).

Embedded default: one table per kind in `<data_dir>/state.db` (WAL, busy timeout), safe across the processes of one
machine. With NW_STORE=elasticsearch: index `<es_index>-state-<kind>`, shared by every process on every machine.
"""
from __future__ import annotations

import json
import re
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from core.dates import parse_datetime
from service.sqlitedb import ThreadLocalDB
from service.store.base import StoreUnavailable
from service.store.sqlite import _ts

FIELD_TYPES = ("keyword", "keywords", "date", "long", "double", "bool", "text")
RANGE_OPS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
MAX_LIMIT = 10_000  # Elasticsearch's default result window: one page never goes past it
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_RESERVED = {"id", "body", "version"}


class Conflict(Exception):
    """`create` on an existing id, or `replace`/`delete` with a version that has moved on."""


@dataclass(frozen=True)
class Doc:
    id: str
    body: dict
    version: str  # opaque: an SQLite row version, or Elasticsearch's f"{seq_no}:{primary_term}"
    cursor: tuple | None = field(default=None, compare=False, repr=False)  # sort values, for find(after=doc)


Where = dict[str, Any]


class Documents(ABC):
    """One collection of JSON documents. Bodies are JSON objects: datetimes are stored as ISO strings and come back
    as strings. Declared fields are top-level keys of the body holding a scalar (or null)."""

    def __init__(self, kind: str, fields: dict[str, str]):
        if not _NAME.match(kind):
            raise ValueError(f"kind {kind!r}: lowercase letters, digits and _ only")
        for name, typ in fields.items():
            if not _NAME.match(name) or name in _RESERVED:
                raise ValueError(f"field {name!r}: lowercase letters, digits and _, not id/body/version")
            if typ not in FIELD_TYPES:
                raise ValueError(f"field {name!r}: type {typ!r} is not one of {', '.join(FIELD_TYPES)}")
        self.kind = kind
        self.fields = dict(fields)

    @abstractmethod
    def get(self, id: str) -> Doc | None: ...

    @abstractmethod
    def get_many(self, ids: list[str]) -> dict[str, Doc]:
        """The documents of these ids that exist (real-time on Elasticsearch, like get)."""

    @abstractmethod
    def create(self, id: str, body: dict) -> Doc: ...

    @abstractmethod
    def replace(self, id: str, body: dict, version: str) -> Doc: ...

    @abstractmethod
    def put(self, id: str, body: dict) -> Doc: ...

    @abstractmethod
    def put_many(self, docs: dict[str, dict], newer: str | None = None) -> int:
        """`put` for many documents at once (last writer wins per id); returns how many were written. With `newer` (a
        declared `long` field), a stored document is only replaced by a body whose `newer` value is at least its own,
        so a late writer replaying old state never overwrites newer state (Elasticsearch external_gte versions)."""

    @abstractmethod
    def delete(self, id: str, version: str | None = None) -> bool: ...

    @abstractmethod
    def find(self, where: Where | None = None, sort: Iterable[tuple[str, str]] = (), limit: int = 100,
             after: Doc | None = None) -> list[Doc]:
        """Documents matching every condition of `where`, by `sort` then id. A condition is a value (equality; None
        = missing), {"in": [...]}, a range {"gte"/"gt"/"lt"/"lte": v}, {"match": "words"} on a text field, or
        {"contains": "part"} on a keyword field (case-sensitive substring).
        `after`: the last Doc of the previous page (keyset paging, stable under concurrent writes)."""

    @abstractmethod
    def count(self, where: Where | None = None) -> int: ...

    def scan(self, where: Where | None = None, sort: Iterable[tuple[str, str]] = (), page: int = 500) -> Iterator[Doc]:
        """Every match, page by page."""
        after = None
        while batch := self.find(where, sort, page, after):
            yield from batch
            after = batch[-1]
            if len(batch) < page:
                return

    @abstractmethod
    def drop(self) -> None:
        """Remove the whole collection (tests, `narrawatch reset`)."""

    def make_searchable(self) -> None:
        """Make every write so far visible to find/count (Elasticsearch: a refresh; SQLite: always the case)."""

    # -- shared validation --
    def _field(self, name: str, *, sortable: bool = False) -> str:
        if name == "id":
            return "keyword"
        typ = self.fields.get(name)
        if typ is None:
            raise ValueError(f"{self.kind}: {name!r} is not a declared field ({', '.join(self.fields) or 'none'})")
        if sortable and typ in ("text", "keywords"):
            raise ValueError(f"{self.kind}: {typ} field {name!r} cannot be sorted on")
        return typ

    def _sort(self, sort: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        keys = []
        for name, direction in sort:
            self._field(name, sortable=True)
            if direction not in ("asc", "desc"):
                raise ValueError(f"sort direction {direction!r}: asc or desc")
            if name != "id":
                keys.append((name, direction))
        return keys

    def _value(self, name: str, value: Any) -> Any:
        """A field's value in its canonical form (same on both backends): dates as fixed-width UTC text."""
        if value is None:
            return None
        typ = self._field(name)
        if typ == "keywords":
            if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple, set, frozenset)):
                raise ValueError(f"{self.kind}.{name}: a list of keywords, not {type(value).__name__}")
            words = sorted({str(v) for v in value})
            if any("," in w for w in words):
                raise ValueError(f"{self.kind}.{name}: a keyword holds no comma")
            return words or None
        if typ == "date":
            return _ts(parse_datetime(value, name))
        if typ == "bool":
            return bool(value)
        if typ == "long":
            return int(value)
        if typ == "double":
            return float(value)
        return str(value)

    def _indexed(self, body: dict) -> dict[str, Any]:
        return {name: self._value(name, body.get(name)) for name in self.fields}

    def _newer(self, newer: str | None, body: dict) -> int | None:
        if newer is None:
            return None
        if self.fields.get(newer) != "long":
            raise ValueError(f"{self.kind}: `newer` must name a declared long field, not {newer!r}")
        value = body.get(newer)
        if not isinstance(value, int) or value < 0:
            raise ValueError(f"{self.kind}: {newer!r} must be a non-negative integer in every body")
        return value


def update(docs: Documents, id: str, fn: Callable[[dict | None], dict | None], retries: int = 20) -> Doc | None:
    """Read-modify-write that never loses a concurrent update: `fn(body)` (None when the document is absent)
    returns the new body, or None to leave it as it is; on a Conflict it runs again on the fresh document."""
    for _ in range(retries):
        current = docs.get(id)
        new = fn(json.loads(json.dumps(current.body)) if current else None)
        if new is None:
            return current
        try:
            return docs.replace(id, new, current.version) if current else docs.create(id, new)
        except Conflict:
            continue
    raise Conflict(f"{docs.kind}/{id}: still contended after {retries} attempts")


def _json(body: dict) -> dict:
    """The body exactly as it will read back: plain JSON, datetimes as ISO strings."""
    if not isinstance(body, dict):
        raise TypeError(f"a document body is a JSON object, not {type(body).__name__}")
    return json.loads(json.dumps(body, default=_default, ensure_ascii=False))


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


# ---------------------------------------------------------------------------------------------------------- SQLite
_SQL_TYPES = {"keyword": "TEXT", "keywords": "TEXT", "date": "TEXT", "long": "INTEGER", "double": "REAL", "bool": "INTEGER",
              "text": "TEXT"}
_DBS: dict[Path, ThreadLocalDB] = {}
_DBS_LOCK = threading.Lock()


def state_db(path: Path) -> ThreadLocalDB:
    """One connection pool (and write lock) per state file per process."""
    path = Path(path).resolve()
    with _DBS_LOCK:
        if path not in _DBS:
            _DBS[path] = ThreadLocalDB(path)
        return _DBS[path]


@contextmanager
def _sqlite_errors(path: Path) -> Iterator[None]:
    try:
        yield
    except sqlite3.OperationalError as exc:  # locked past the busy timeout, disk full, I/O: retry later
        raise StoreUnavailable(f"state store {path}: {exc}") from exc


class SQLiteDocuments(Documents):
    def __init__(self, path: Path | str, kind: str, fields: dict[str, str]):
        super().__init__(kind, fields)
        self.path = Path(path)
        self._db = state_db(self.path)
        self.table = f"doc_{kind}"
        self._ready = False

    def _cols(self) -> str:
        return "".join(f", f_{name}" for name in self.fields)

    def _init(self) -> None:
        if self._ready:
            return
        with _sqlite_errors(self.path), self._db.transaction() as db:
            db.execute(f"CREATE TABLE IF NOT EXISTS {self.table} (id TEXT PRIMARY KEY, version INTEGER NOT NULL, "
                       f"body TEXT NOT NULL)")
            have = {row[1] for row in db.execute(f"PRAGMA table_info({self.table})")}
            for name, typ in self.fields.items():
                if f"f_{name}" not in have:  # a field declared later: add the column, fill it from the bodies
                    db.execute(f"ALTER TABLE {self.table} ADD COLUMN f_{name} {_SQL_TYPES[typ]}")
                    for id_, body in db.execute(f"SELECT id, body FROM {self.table}").fetchall():
                        db.execute(f"UPDATE {self.table} SET f_{name} = ? WHERE id = ?",
                                   (self._column(name, json.loads(body).get(name)), id_))
                if typ != "text":
                    db.execute(f"CREATE INDEX IF NOT EXISTS {self.table}_{name} ON {self.table}(f_{name}, id)")
        self._ready = True

    def _column(self, name: str, value: Any) -> Any:
        value = self._value(name, value)
        if self.fields.get(name) == "text" and value is not None:
            return value.lower()
        if self.fields.get(name) == "keywords" and value is not None:
            return "," + ",".join(value) + ","  # ",a,b,": one instr() finds ",a," (keywords hold no comma)
        return value

    def _condition(self, name: str, col: str, value: Any) -> tuple[str, list[Any]]:
        """`col` equals `value`; for a keywords field: one of its keywords does."""
        if self.fields.get(name) == "keywords":
            if "," in str(value):
                return "0", []
            return f"instr({col}, ?) > 0", [f",{value},"]
        return f"{col} = ?", [self._column(name, value)]

    def _row(self, id: str, version: int, body: dict) -> tuple:
        return (id, version, json.dumps(body, ensure_ascii=False),
                *(self._column(name, body.get(name)) for name in self.fields))

    def _write(self, sql: str, row: tuple) -> None:
        marks = ", ".join("?" * len(row))
        self._db.conn.execute(f"{sql} INTO {self.table} (id, version, body{self._cols()}) VALUES ({marks})", row)

    def get(self, id: str) -> Doc | None:
        self._init()
        with _sqlite_errors(self.path):
            row = self._db.conn.execute(f"SELECT version, body FROM {self.table} WHERE id = ?", (id,)).fetchone()
        return Doc(id, json.loads(row[1]), str(row[0])) if row else None

    def get_many(self, ids: list[str]) -> dict[str, Doc]:
        self._init()
        if not ids:
            return {}
        with _sqlite_errors(self.path):
            rows = self._db.conn.execute(f"SELECT id, version, body FROM {self.table} WHERE id IN "
                                         f"({', '.join('?' * len(ids))})", list(ids)).fetchall()
        return {r[0]: Doc(r[0], json.loads(r[2]), str(r[1])) for r in rows}

    def create(self, id: str, body: dict) -> Doc:
        self._init()
        body = _json(body)
        row = self._row(id, 1, body)
        with _sqlite_errors(self.path), self._db.transaction():
            try:
                self._write("INSERT", row)
            except sqlite3.IntegrityError:
                raise Conflict(f"{self.kind}/{id} exists") from None
        return Doc(id, body, "1")

    def replace(self, id: str, body: dict, version: str) -> Doc:
        self._init()
        body = _json(body)
        with _sqlite_errors(self.path), self._db.transaction() as db:
            row = db.execute(f"SELECT version FROM {self.table} WHERE id = ?", (id,)).fetchone()
            if row is None or str(row[0]) != str(version):
                raise Conflict(f"{self.kind}/{id}: version {version} is stale ({row[0] if row else 'deleted'})")
            self._write("REPLACE", self._row(id, row[0] + 1, body))
        return Doc(id, body, str(row[0] + 1))

    def put(self, id: str, body: dict) -> Doc:
        self._init()
        body = _json(body)
        with _sqlite_errors(self.path), self._db.transaction() as db:
            row = db.execute(f"SELECT version FROM {self.table} WHERE id = ?", (id,)).fetchone()
            version = row[0] + 1 if row else 1
            self._write("REPLACE", self._row(id, version, body))
        return Doc(id, body, str(version))

    def put_many(self, docs: dict[str, dict], newer: str | None = None) -> int:
        self._init()
        bodies = {id: _json(body) for id, body in docs.items()}
        written = 0
        with _sqlite_errors(self.path), self._db.transaction() as db:
            for id, body in bodies.items():
                value = self._newer(newer, body)
                col = f", f_{newer}" if newer else ""
                row = db.execute(f"SELECT version{col} FROM {self.table} WHERE id = ?", (id,)).fetchone()
                if row is not None and newer and row[1] is not None and row[1] > value:
                    continue
                self._write("REPLACE", self._row(id, row[0] + 1 if row else 1, body))
                written += 1
        return written

    def delete(self, id: str, version: str | None = None) -> bool:
        self._init()
        with _sqlite_errors(self.path), self._db.transaction() as db:
            row = db.execute(f"SELECT version FROM {self.table} WHERE id = ?", (id,)).fetchone()
            if row is None:
                return False
            if version is not None and str(row[0]) != str(version):
                raise Conflict(f"{self.kind}/{id}: version {version} is stale ({row[0]})")
            db.execute(f"DELETE FROM {self.table} WHERE id = ?", (id,))
        return True

    def _where(self, where: Where | None) -> tuple[list[str], list[Any]]:
        clauses, args = [], []
        for name, cond in (where or {}).items():
            typ = self._field(name)
            col = "id" if name == "id" else f"f_{name}"
            if isinstance(cond, dict):
                for op, value in cond.items():
                    if op == "in":
                        if typ == "keywords":
                            parts = [self._condition(name, col, v) for v in value]
                            clauses.append("(" + " OR ".join(c for c, _ in parts) + ")" if parts else "0")
                            args += [a for _, more in parts for a in more]
                            continue
                        values = [self._column(name, v) for v in value]
                        clauses.append(f"{col} IN ({', '.join('?' * len(values))})" if values else "0")
                        args += values
                    elif op in RANGE_OPS:
                        clauses.append(f"{col} {RANGE_OPS[op]} ?")
                        args.append(self._column(name, value))
                    elif op == "match" and typ == "text":
                        for word in str(value).lower().split():
                            clauses.append(f"instr({col}, ?) > 0")
                            args.append(word)
                    elif op == "contains" and typ == "keyword":
                        clauses.append(f"instr({col}, ?) > 0")
                        args.append(str(value))
                    else:
                        raise ValueError(f"{self.kind}.{name}: unknown condition {op!r}")
            elif cond is None:
                clauses.append(f"{col} IS NULL")
            else:
                clause, more = self._condition(name, col, cond)
                clauses.append(clause)
                args += more
        return clauses, args

    def find(self, where: Where | None = None, sort: Iterable[tuple[str, str]] = (), limit: int = 100,
             after: Doc | None = None) -> list[Doc]:
        self._init()
        keys = self._sort(sort) + [("id", "asc")]
        clauses, args = self._where(where)
        if after is not None:
            clause, more = self._after(keys, after)
            clauses.append(clause)
            args += more
        sql = (f"SELECT id, version, body FROM {self.table}" + (f" WHERE {' AND '.join(clauses)}" if clauses else "")
               + " ORDER BY " + ", ".join(f"{'id' if n == 'id' else 'f_' + n} {d.upper()}" for n, d in keys)
               + " LIMIT ?")
        with _sqlite_errors(self.path):
            rows = self._db.conn.execute(sql, (*args, max(0, min(limit, MAX_LIMIT)))).fetchall()
        return [Doc(r[0], json.loads(r[2]), str(r[1])) for r in rows]

    def _after(self, keys: list[tuple[str, str]], after: Doc) -> tuple[str, list[Any]]:
        """Rows strictly after `after` in the sort order; NULL sorts first ascending, last descending (as SQLite
        and the Elasticsearch backend's `missing` both do)."""
        alternatives, args, equal = [], [], []
        for name, direction in keys:
            col = "id" if name == "id" else f"f_{name}"
            value = after.id if name == "id" else self._column(name, after.body.get(name))
            if direction == "asc":
                past, past_args = (f"{col} IS NOT NULL", []) if value is None else (f"{col} > ?", [value])
            else:
                past, past_args = ("0", []) if value is None else (f"({col} < ? OR {col} IS NULL)", [value])
            alternatives.append("(" + " AND ".join([e for e, _ in equal] + [past]) + ")")
            args += [a for _, eq_args in equal for a in eq_args] + past_args
            equal.append((f"{col} IS ?", [value]))
        return "(" + " OR ".join(alternatives) + ")", args

    def count(self, where: Where | None = None) -> int:
        self._init()
        clauses, args = self._where(where)
        with _sqlite_errors(self.path):
            return self._db.conn.execute(f"SELECT count(*) FROM {self.table}"
                                         + (f" WHERE {' AND '.join(clauses)}" if clauses else ""), args).fetchone()[0]

    def drop(self) -> None:
        with _sqlite_errors(self.path), self._db.transaction() as db:
            db.execute(f"DROP TABLE IF EXISTS {self.table}")
        self._ready = False


# --------------------------------------------------------------------------------------------------- Elasticsearch
_ES_TYPES = {"keyword": {"type": "keyword", "ignore_above": 4096}, "keywords": {"type": "keyword", "ignore_above": 4096},
             "date": {"type": "date_nanos"},
             "long": {"type": "long"}, "double": {"type": "double"}, "bool": {"type": "boolean"},
             "text": {"type": "text"}}
_CLIENTS: dict[str, Any] = {}


def es_client(url: str):
    """One client (connection pool) per node URL per process."""
    from elasticsearch import Elasticsearch

    with _DBS_LOCK:
        if url not in _CLIENTS:
            _CLIENTS[url] = Elasticsearch(url, request_timeout=60, retry_on_timeout=True, max_retries=2)
        return _CLIENTS[url]


class ElasticDocuments(Documents):
    """`searchable=True`: writes return once find/count see them (refresh=wait_for, on an index refreshed every
    `refresh_interval`); a kind written with searchable=False can be made searchable on demand with
    `make_searchable()`; get() is real-time either way, so kinds only read by id skip the wait."""

    def __init__(self, es, prefix: str, kind: str, fields: dict[str, str], searchable: bool = True,
                 refresh_interval: str = "200ms"):
        super().__init__(kind, fields)
        self.es = es
        self.index = f"{prefix}-state-{kind}"
        self.refresh: Any = "wait_for" if searchable else False
        self.refresh_interval = refresh_interval
        self._ready = False

    def _call(self, fn, **kwargs):
        from elasticsearch import ConflictError

        from service.store.elastic import call

        try:
            return call(fn, **kwargs)
        except ConflictError as exc:
            raise Conflict(f"{self.index}/{kwargs.get('id')}: {exc.message}") from None

    def _init(self) -> None:
        if self._ready:
            return
        from elasticsearch import BadRequestError

        props = {"id": _ES_TYPES["keyword"], "body": {"type": "object", "enabled": False},
                 **{name: _ES_TYPES[typ] for name, typ in self.fields.items()}}
        if not self._call(self.es.indices.exists, index=self.index):
            try:
                self._call(self.es.indices.create, index=self.index, mappings={"dynamic": "strict", "properties": props},
                           settings={"number_of_shards": 1, "auto_expand_replicas": "0-1",
                                     "refresh_interval": self.refresh_interval})
            except BadRequestError as exc:  # created concurrently by another process
                if "resource_already_exists" not in str(exc):
                    raise
        else:  # a field declared by a newer version: add it (documents written before lack it until rewritten)
            self._call(self.es.indices.put_mapping, index=self.index, properties=props)
        # another process may have created it a moment ago: its primary shard must be up before we use it (a fresh
        # index's unassigned primary still counts as yellow, hence the active-shard count: one shard per kind)
        health = self._call(self.es.cluster.health, index=self.index, wait_for_status="yellow",
                            wait_for_active_shards="1", timeout="30s")
        if health.get("timed_out"):
            raise StoreUnavailable(f"elasticsearch: {self.index} has no active primary shard yet")
        self._ready = True

    def _source(self, id: str, body: dict) -> dict:
        return {"id": id, "body": body, **self._indexed(body)}

    @staticmethod
    def _doc(hit: dict) -> Doc:
        return Doc(hit["_id"], hit["_source"]["body"], f"{hit['_seq_no']}:{hit['_primary_term']}",
                   tuple(hit["sort"]) if "sort" in hit else None)

    def _written(self, id: str, body: dict, resp) -> Doc:
        return Doc(id, body, f"{resp['_seq_no']}:{resp['_primary_term']}")

    def get(self, id: str) -> Doc | None:
        from elasticsearch import NotFoundError

        self._init()
        try:
            return self._doc(self._call(self.es.get, index=self.index, id=id))
        except NotFoundError:
            return None

    def get_many(self, ids: list[str]) -> dict[str, Doc]:
        self._init()
        if not ids:
            return {}
        docs = self._call(self.es.mget, index=self.index, ids=list(ids))["docs"]
        return {d["_id"]: self._doc(d) for d in docs if d.get("found")}

    def create(self, id: str, body: dict) -> Doc:
        self._init()
        body = _json(body)
        resp = self._call(self.es.index, index=self.index, id=id, document=self._source(id, body), op_type="create",
                          refresh=self.refresh)
        return self._written(id, body, resp)

    def replace(self, id: str, body: dict, version: str) -> Doc:
        self._init()
        body = _json(body)
        seq_no, primary_term = _version(version)
        resp = self._call(self.es.index, index=self.index, id=id, document=self._source(id, body), if_seq_no=seq_no,
                          if_primary_term=primary_term, refresh=self.refresh)
        return self._written(id, body, resp)

    def put(self, id: str, body: dict) -> Doc:
        self._init()
        body = _json(body)
        resp = self._call(self.es.index, index=self.index, id=id, document=self._source(id, body),
                          refresh=self.refresh)
        return self._written(id, body, resp)

    def put_many(self, docs: dict[str, dict], newer: str | None = None) -> int:
        return _bulk([(self, docs)], newer)

    def _ops(self, docs: dict[str, dict], newer: str | None) -> list[dict]:
        self._init()
        ops: list[dict] = []
        for id, body in docs.items():
            body = _json(body)
            head: dict[str, Any] = {"_index": self.index, "_id": id}
            if newer is not None:
                head |= {"version": self._newer(newer, body), "version_type": "external_gte"}
            ops += [{"index": head}, self._source(id, body)]
        return ops

    def delete(self, id: str, version: str | None = None) -> bool:
        from elasticsearch import NotFoundError

        self._init()
        occ = dict(zip(("if_seq_no", "if_primary_term"), _version(version))) if version is not None else {}
        try:
            self._call(self.es.delete, index=self.index, id=id, refresh=self.refresh, **occ)
        except NotFoundError:
            return False
        except Conflict:
            if self.get(id) is None:
                return False  # gone already: same answer as SQLite
            raise
        return True

    def _query(self, where: Where | None) -> dict:
        filters, must_not = [], []
        for name, cond in (where or {}).items():
            typ = self._field(name)
            if isinstance(cond, dict):
                rng = {}
                for op, value in cond.items():
                    if op == "in":
                        filters.append({"terms": {name: [str(v) if typ == "keywords" else self._value(name, v)
                                                         for v in value]}})
                    elif op in RANGE_OPS:
                        rng[op] = self._value(name, value)
                    elif op == "match" and typ == "text":
                        filters.append({"match": {name: {"query": str(value), "operator": "and"}}})
                    elif op == "contains" and typ == "keyword":
                        escaped = re.sub(r"([*?\\])", r"\\\1", str(value))
                        filters.append({"wildcard": {name: {"value": f"*{escaped}*"}}})
                    else:
                        raise ValueError(f"{self.kind}.{name}: unknown condition {op!r}")
                if rng:
                    filters.append({"range": {name: rng}})
            elif cond is None:
                must_not.append({"exists": {"field": name}})
            else:
                filters.append({"term": {name: str(cond) if typ == "keywords" else self._value(name, cond)}})
        return {"bool": {"filter": filters, "must_not": must_not}}

    def find(self, where: Where | None = None, sort: Iterable[tuple[str, str]] = (), limit: int = 100,
             after: Doc | None = None) -> list[Doc]:
        self._init()
        keys = self._sort(sort)
        order = [{name: {"order": d, "missing": "_first" if d == "asc" else "_last"}} for name, d in keys]
        order.append({"id": "asc"})
        extra = {}
        if after is not None:
            extra["search_after"] = list(after.cursor) if after.cursor is not None else \
                [self._value(n, after.body.get(n)) for n, _ in keys] + [after.id]
        resp = self._call(self.es.search, index=self.index, query=self._query(where), sort=order,
                          size=max(0, min(limit, MAX_LIMIT)), seq_no_primary_term=True, track_total_hits=False,
                          **extra)
        return [self._doc(h) for h in resp["hits"]["hits"]]

    def count(self, where: Where | None = None) -> int:
        self._init()
        return self._call(self.es.count, index=self.index, query=self._query(where))["count"]

    def make_searchable(self) -> None:
        self._init()
        self._call(self.es.indices.refresh, index=self.index)

    def drop(self) -> None:
        self._call(self.es.indices.delete, index=self.index, ignore_unavailable=True)
        self._ready = False


def _bulk(writes: list[tuple[ElasticDocuments, dict[str, dict]]], newer: str | None) -> int:
    """One bulk request for the writes of several kinds of one node; it refreshes as the most eager of them asks."""
    ops = [op for docs, items in writes for op in docs._ops(items, newer)]
    if not ops:
        return 0
    refresh = "wait_for" if any(docs.refresh for docs, _ in writes) else False
    first = writes[0][0]
    resp = first._call(first.es.bulk, operations=ops, refresh=refresh)
    written = 0
    for item in resp["items"]:
        result = item["index"]
        if result.get("status", 500) < 300:
            written += 1
        elif result["status"] == 409 and newer is not None:
            continue  # newer state already stored: kept
        elif result["status"] >= 500 or result["status"] == 429:
            raise StoreUnavailable(f"elasticsearch: {result['_index']}/{result['_id']}: {result.get('error')}")
        else:
            raise ValueError(f"{result['_index']}/{result['_id']} refused: {result.get('error')}")
    return written


def put_many_kinds(writes: list[tuple[Documents, dict[str, dict]]], newer: str | None = None) -> int:
    """`put_many` on several kinds at once: one request (and one refresh) when they share an Elasticsearch node."""
    if len(writes) > 1 and all(isinstance(d, ElasticDocuments) and d.es is writes[0][0].es for d, _ in writes):
        return _bulk(writes, newer)  # type: ignore[arg-type]
    return sum(docs.put_many(items, newer) for docs, items in writes)


def _version(version: str) -> tuple[int, int]:
    try:
        seq_no, primary_term = (int(part) for part in str(version).split(":"))
    except ValueError:
        raise Conflict(f"version {version!r} is not one this store issued") from None
    return seq_no, primary_term


def open_documents(settings, kind: str, fields: dict[str, str], searchable: bool = True) -> Documents:
    """The collection `kind` in the configured store (NW_STORE): declared `fields` can be filtered and sorted on."""
    if settings.store == "elasticsearch":
        return ElasticDocuments(es_client(settings.es_url), settings.es_index, kind, fields, searchable=searchable)
    return SQLiteDocuments(settings.state_path, kind, fields)


def migrate_once(settings, name: str, legacy: Path, copy: Callable[[sqlite3.Connection], None]) -> bool:
    """Copy a file of an older version (`<data_dir>/auth.db`, `claims.db`) into the store, once per store: a marker
    document `migrations/<name>` is created after the copy, so a process that finds it skips the file (left in place,
    never written again). `copy` must be idempotent (create or identical put per row): two processes starting at
    once may both copy before either marks it."""
    if not Path(legacy).is_file():
        return False
    marks = open_documents(settings, "migrations", {}, searchable=False)
    if marks.get(name) is not None:
        return False
    con = sqlite3.connect(legacy, timeout=30)
    con.row_factory = sqlite3.Row
    try:
        copy(con)
    finally:
        con.close()
    try:
        marks.create(name, {"from": str(legacy), "at": datetime.now().astimezone().isoformat()})
    except Conflict:
        pass  # another process finished the same copy
    return True
