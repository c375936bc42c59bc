"""Embedded default store: one SQLite file in WAL mode, FTS5 for full-text search. Zero setup, one process-safe file."""
from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path

from core.periods import offset_minutes, zone
from core.domain import Campaign, Post
from service.sqlitedb import ThreadLocalDB
from service.store.analysis import SEARCH_VERSION, indexed, link_domains
from service.store.query import FALSE, And, Field, Node, parse, scoped
from service.store.sqlite_query import fts, rank_expression, tag, where as text_where
from service.store.base import (Interval, Page, PostQuery, SearchResult, Sort, Store, StoreRejected,
                                StoreUnavailable, TermField, id_problem, merge_existing)

SCHEMA = """
CREATE TABLE IF NOT EXISTS posts (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    platform TEXT, lang TEXT, sentiment TEXT, hoax INTEGER NOT NULL DEFAULT 0,
    author TEXT, source TEXT, engagement INTEGER NOT NULL DEFAULT 0,
    doc TEXT NOT NULL, hoax_score REAL
);
CREATE INDEX IF NOT EXISTS posts_created ON posts(created_at);
CREATE INDEX IF NOT EXISTS posts_author ON posts(author);
CREATE TABLE IF NOT EXISTS post_campaigns (post_rowid INTEGER NOT NULL, campaign TEXT NOT NULL,
    PRIMARY KEY (campaign, post_rowid)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS post_campaigns_post ON post_campaigns(post_rowid);
CREATE TABLE IF NOT EXISTS post_hashtags (post_rowid INTEGER NOT NULL, hashtag TEXT NOT NULL,
    PRIMARY KEY (hashtag, post_rowid)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS post_hashtags_post ON post_hashtags(post_rowid);
CREATE TABLE IF NOT EXISTS post_domains (post_rowid INTEGER NOT NULL, domain TEXT NOT NULL,
    PRIMARY KEY (domain, post_rowid)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS post_domains_post ON post_domains(post_rowid);
CREATE TABLE IF NOT EXISTS campaigns (id TEXT PRIMARY KEY, workspace TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS campaign_tombstones (id TEXT PRIMARY KEY, workspace TEXT NOT NULL);
"""
# service/store/analysis.py already split and stemmed the text: FTS5 only splits on the spaces ('_' is the
# title/text boundary token). `tags` holds the post's field values (sqlite_query.tag), so a search with field
# operators and a workspace's campaigns is one MATCH.
SEARCH_TABLE = """CREATE VIRTUAL TABLE IF NOT EXISTS {name} USING fts5(stems, words, tags,
    tokenize="unicode61 remove_diacritics 0 tokenchars '_'")"""

# What a single document can raise (a value SQLite cannot bind or a constraint it breaks), as opposed to the file
# being unusable (OperationalError: locked, disk full, I/O), which fails the batch as StoreUnavailable.
_DOCUMENT_ERRORS = (sqlite3.IntegrityError, sqlite3.DataError, sqlite3.InterfaceError, OverflowError, ValueError)

# Columns a filter or a terms bucket may name; anything else never reaches SQL.
_COLUMNS = {"platform": "platform", "lang": "lang", "sentiment": "sentiment", "author": "author", "source": "source"}
BROAD = 1000  # matches above which a date-ordered page walks the date index (cheap unless matches are rare: at 1M
# posts, sorting up to 1000 matches beats walking the 20k index entries that hold 20 of them)
_ROW_FILTERS = ("sentiment", "hoax", "since", "until")  # read from the post's row (the others are tags)
# Index rows per post: dropped and rewritten with it. posts_search is keyed by rowid, the others by post_rowid.
_INDEX_TABLES = (("posts_search", "rowid"), ("post_campaigns", "post_rowid"), ("post_hashtags", "post_rowid"),
                 ("post_domains", "post_rowid"))


# Each order as (SQL expression, descending) keys ending in a unique one, so a walk can resume after any row.
# A missing hoax score sorts as -1: last, as on Elasticsearch. `f.score` is the bm25 of the text match (lower is
# better; posts matched through a field operator only have none and come after the scored ones).
_NEWEST = (("p.created_at", True), ("p.id", False))
_ORDER: dict[str, tuple[tuple[str, bool], ...]] = {
    "newest": _NEWEST,
    "oldest": (("p.created_at", False), ("p.id", False)),
    "engagement": (("p.engagement", True), *_NEWEST),
    "hoax": (("coalesce(p.hoax_score, -1.0)", True), *_NEWEST),
    "relevance": (("coalesce(f.score, 1e308)", False), *_NEWEST),
}
_RANKED = (" LEFT JOIN (SELECT rowid AS r, bm25(posts_search) AS score FROM posts_search "
           "WHERE posts_search MATCH ?) f ON f.r = p.rowid")


def _after(keys: tuple[tuple[str, bool], ...]) -> str:
    """Rows after a row whose keys are bound as parameters, in this mixed-direction order (keyset pagination)."""
    ors = []
    for i, (expr, desc) in enumerate(keys):
        equal = [f"{e} = ?" for e, _ in keys[:i]]
        ors.append("(" + " AND ".join([*equal, f"{expr} {'<' if desc else '>'} ?"]) + ")")
    return "(" + " OR ".join(ors) + ")"


def _after_args(keys: tuple[tuple[str, bool], ...], values: tuple) -> list:
    return [v for i in range(len(keys)) for v in (*values[:i], values[i])]


def _tags(post: Post) -> str:
    """The `tags` column of a post: a token per value a field operator or filter can name (sqlite_query.tag)."""
    values = [("platform", post.platform), ("lang", post.lang), ("author", post.author),
              *(("campaign", c) for c in post.campaigns), *(("hashtag", h) for h in post.hashtags),
              *(("domain", d) for d in link_domains(post.links))]
    return " ".join(tag(field, v) for field, v in values if v)


def _searched(q: PostQuery) -> Node:
    """A text query's tree, scoped to the caller's campaigns, with the filters the tags hold (platform, language,
    author, campaign, the workspace's campaigns) ANDed in: all of it one MATCH unless a NOT stands alone."""
    tree = scoped(parse(q.text), q.campaigns)  # type: ignore[arg-type]  # only for a text query
    filters = [Field(f, (v,)) for f in ("platform", "lang", "author") if (v := getattr(q, f)) is not None]
    if q.campaign:
        filters.append(Field("campaign", (q.campaign,)))
    if q.campaigns is not None:
        filters.append(Field("campaign", tuple(q.campaigns)) if q.campaigns else FALSE)
    if not filters:
        return tree
    return scoped(And((*(tree.children if isinstance(tree, And) else (tree,)), *filters)), None)  # folds constants


def _ts(value: datetime) -> str:
    """Fixed-width UTC text, so string order is time order."""
    v = value.astimezone(timezone.utc)  # %Y is not zero-padded before year 1000 on glibc: format it ourselves
    return f"{v.year:04d}-{v.month:02d}-{v.day:02d}T{v.hour:02d}:{v.minute:02d}:{v.second:02d}.{v.microsecond:06d}Z"


class SQLiteStore(Store):
    scan_page = 500  # posts read per query of a scan

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._sqlite = ThreadLocalDB(self.path)

    @property
    def db(self) -> sqlite3.Connection:
        try:
            return self._sqlite.conn
        except (sqlite3.Error, OSError) as exc:
            raise StoreUnavailable(f"cannot open {self.path}: {exc}") from exc

    def init(self) -> None:
        self.db.executescript(SCHEMA)
        self.db.execute(SEARCH_TABLE.format(name="posts_search"))
        self._add_hoax_score()
        analysed = self.db.execute("PRAGMA user_version").fetchone()[0] == SEARCH_VERSION
        tagged = "tags" in {c[0] for c in self.db.execute("SELECT * FROM posts_search LIMIT 0").description}
        if not (analysed and tagged):
            self._reindex_search(keep_text=analysed)

    def _add_hoax_score(self) -> None:
        """A file written before the hoax-score order: add its column and fill it from the documents once."""
        with self._transaction() as db:
            if "hoax_score" not in {row[1] for row in db.execute("PRAGMA table_info(posts)")}:
                db.execute("ALTER TABLE posts ADD COLUMN hoax_score REAL")
                db.execute("UPDATE posts SET hoax_score = json_extract(doc, '$.classification.hoax_score')")

    def _reindex_search(self, keep_text: bool) -> None:
        """A file written before the search language (or an analysis change: analyse every post's text again) or
        before the field tags (`keep_text`: only the tags are new): build the search table and the domains of
        every post once, in one transaction, so a crash midway just runs it again. The old word index goes."""
        with self._transaction() as db:
            db.execute("DROP TABLE IF EXISTS posts_fts")
            db.execute("DROP TABLE IF EXISTS posts_search_new")
            db.execute(SEARCH_TABLE.format(name="posts_search_new"))
            db.execute("DELETE FROM post_domains")
            text = "s.stems, s.words" if keep_text else "NULL, NULL"
            rows = db.execute(f"SELECT p.rowid, p.doc, {text} FROM posts p LEFT JOIN posts_search s ON s.rowid = p.rowid")
            for rowid, doc, stems, words in rows:  # streamed: a large file need not fit in memory
                post = Post.model_validate_json(doc)
                if stems is None:
                    stems, words = indexed(post.title, post.text)
                db.execute("INSERT INTO posts_search_new (rowid, stems, words, tags) VALUES (?,?,?,?)",
                           (rowid, stems, words, _tags(post)))
                self._index_domains(rowid, post)
            db.execute("DROP TABLE posts_search")
            db.execute("ALTER TABLE posts_search_new RENAME TO posts_search")
            db.execute(f"PRAGMA user_version = {SEARCH_VERSION}")

    def ping(self) -> bool:
        try:
            self.db.execute("SELECT 1").fetchone()
            return True
        except (sqlite3.Error, StoreUnavailable):
            return False

    def close(self) -> None:
        self._sqlite.close()

    # -- writes --
    def upsert(self, posts: Iterable[Post]) -> int:
        batch = {p.id: p for p in posts}  # last version of an id in a batch wins
        if not batch:
            return 0
        rejected = {pid: why for pid, post in batch.items() if (why := id_problem(post))}
        todo = {pid: post for pid, post in batch.items() if pid not in rejected}
        with self._transaction() as db:
            existing = self._existing(list(todo))
            db.execute("SAVEPOINT batch")
            try:  # fast path: the whole batch at once
                for pid, post in todo.items():
                    self._write(post, existing.get(pid))
            except _DOCUMENT_ERRORS:  # some document SQLite refuses: redo one by one, undoing only the bad ones
                db.execute("ROLLBACK TO batch")
                for pid, post in todo.items():
                    db.execute("SAVEPOINT doc")
                    try:
                        self._write(post, existing.get(pid))
                    except _DOCUMENT_ERRORS as exc:
                        db.execute("ROLLBACK TO doc")
                        rejected[pid] = f"sqlite: {type(exc).__name__}: {exc}"
                    db.execute("RELEASE doc")
            db.execute("RELEASE batch")
        stored = len(batch) - len(rejected)
        if rejected:
            raise StoreRejected(rejected, stored)
        return stored

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            with self._sqlite.transaction() as db:
                yield db
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"sqlite write failed: {exc}") from exc

    def _existing(self, ids: list[str]) -> dict[str, Post]:
        found: dict[str, Post] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for (doc,) in self.db.execute(f"SELECT doc FROM posts WHERE id IN ({marks})", chunk):
                post = Post.model_validate_json(doc)
                found[post.id] = post
        return found

    def _write(self, post: Post, old: Post | None) -> None:
        if old is not None:
            post = merge_existing(post, old)
        c = post.classification
        row = (post.id, _ts(post.created_at), post.platform, post.lang, c.sentiment, int(c.hoax), post.author,
               post.source, post.engagement.total, post.model_dump_json(), c.hoax_score)
        db = self.db
        rowid = db.execute(
            """INSERT INTO posts (id, created_at, platform, lang, sentiment, hoax, author, source, engagement, doc,
                                  hoax_score)
               VALUES (?,?,?,?,?,?,?,?,?,?,?)
               ON CONFLICT(id) DO UPDATE SET created_at=excluded.created_at, platform=excluded.platform,
                 lang=excluded.lang, sentiment=excluded.sentiment, hoax=excluded.hoax, author=excluded.author,
                 source=excluded.source, engagement=excluded.engagement, doc=excluded.doc,
                 hoax_score=excluded.hoax_score
               RETURNING rowid""",
            row,
        ).fetchone()[0]
        if old is not None:  # a new post has no index rows to replace
            for table, key in _INDEX_TABLES:
                db.execute(f"DELETE FROM {table} WHERE {key}=?", (rowid,))
        self._index(rowid, post)

    def _index(self, rowid: int, post: Post) -> None:
        db = self.db
        db.execute("INSERT INTO posts_search (rowid, stems, words, tags) VALUES (?,?,?,?)",
                   (rowid, *indexed(post.title, post.text), _tags(post)))
        db.executemany("INSERT OR IGNORE INTO post_campaigns VALUES (?,?)", [(rowid, c) for c in post.campaigns])
        db.executemany("INSERT OR IGNORE INTO post_hashtags VALUES (?,?)", [(rowid, h) for h in post.hashtags])
        self._index_domains(rowid, post)

    def _index_domains(self, rowid: int, post: Post) -> None:
        self.db.executemany("INSERT OR IGNORE INTO post_domains VALUES (?,?)",
                            [(rowid, d) for d in link_domains(post.links)])

    def delete_by_campaign(self, campaign: str) -> int:
        removed = 0
        with self._transaction() as db:
            rows = db.execute("SELECT p.rowid, p.doc FROM posts p JOIN post_campaigns pc ON pc.post_rowid=p.rowid "
                              "WHERE pc.campaign=?", (campaign,)).fetchall()
            for rowid, doc in rows:
                post = Post.model_validate_json(doc)
                post.campaigns = [c for c in post.campaigns if c != campaign]
                db.execute("DELETE FROM post_campaigns WHERE post_rowid=? AND campaign=?", (rowid, campaign))
                if post.campaigns:  # still monitored by another campaign: only untag it
                    db.execute("UPDATE posts SET doc=? WHERE rowid=?", (post.model_dump_json(), rowid))
                    db.execute("UPDATE posts_search SET tags=? WHERE rowid=?", (_tags(post), rowid))
                else:
                    for table, key in (("posts", "rowid"), *_INDEX_TABLES):
                        db.execute(f"DELETE FROM {table} WHERE {key}=?", (rowid,))
                removed += 1
        return removed

    # -- reads --
    def _where(self, q: PostQuery) -> tuple[str, list]:
        clauses, args = [], []
        if q.text:  # the filters the tags hold join the text's MATCH; the row's own columns are tested after it
            condition, values = text_where(_searched(q))
            clauses.append(condition)
            args.extend(values)
        for field in ("sentiment",) if q.text else ("platform", "lang", "sentiment", "author"):
            value = getattr(q, field)
            if value is not None:
                clauses.append(f"p.{_COLUMNS[field]} = ?")
                args.append(value)
        if q.hoax is not None:
            clauses.append("p.hoax = ?")
            args.append(int(q.hoax))
        if q.since:
            clauses.append("p.created_at >= ?")
            args.append(_ts(q.since))
        if q.until:
            clauses.append("p.created_at < ?")
            args.append(_ts(q.until))
        if q.text:
            return " WHERE " + " AND ".join(clauses), args
        # EXISTS probes the (campaign, post) key per candidate row, so the planner can drive the query from the
        # date index instead of materialising every post of a large campaign.
        if q.campaign:
            clauses.append("EXISTS (SELECT 1 FROM post_campaigns c WHERE c.campaign = ? AND c.post_rowid = p.rowid)")
            args.append(q.campaign)
        if q.campaigns is not None:
            marks = ",".join("?" * len(q.campaigns)) or "NULL"
            clauses.append(f"EXISTS (SELECT 1 FROM post_campaigns c WHERE c.campaign IN ({marks}) "
                           "AND c.post_rowid = p.rowid)")
            args.extend(q.campaigns)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", args

    def _ordered(self, query: PostQuery, sort: Sort) -> tuple[str, list, tuple[tuple[str, bool], ...]]:
        """The FROM clause (with its parameters) and the keys of this order; relevance without text is newest."""
        match = rank_expression(parse(query.text)) if sort == "relevance" and query.text else None
        if match:
            return f"posts p{_RANKED}", [match], _ORDER["relevance"]
        return "posts p", [], _ORDER["newest" if sort == "relevance" else sort]

    def search(self, query: PostQuery, page: Page = Page()) -> SearchResult:
        where, args = self._where(query)
        total = self.count(query)
        source, join_args, keys = self._ordered(query, page.sort)
        if page.sort in ("newest", "oldest") and total > BROAD:
            # Many matches in date order: walk the date index and test each post against the matches, stopping at
            # the page, instead of reading and sorting every match (the planner would pick the latter)
            source += " INDEXED BY posts_created"
        order = ", ".join(f"{e} {'DESC' if d else 'ASC'}" for e, d in keys)
        rows = self.db.execute(f"SELECT p.doc FROM {source}{where} ORDER BY {order} LIMIT ? OFFSET ?",
                               [*join_args, *args, page.limit, page.offset])
        return SearchResult(total=total, posts=[Post.model_validate_json(d) for (d,) in rows])

    def get(self, post_id: str) -> Post | None:
        row = self.db.execute("SELECT doc FROM posts WHERE id=?", (post_id,)).fetchone()
        return Post.model_validate_json(row[0]) if row else None

    def count(self, query: PostQuery = PostQuery()) -> int:
        if (query.text and not any(getattr(query, f) is not None for f in _ROW_FILTERS)
                and (match := fts(_searched(query))) is not None):
            # one MATCH says it all: count in the full-text index without reading a post row (what makes a broad
            # search slow on a large store)
            return self.db.execute("SELECT count(*) FROM posts_search WHERE posts_search MATCH ?", [match]).fetchone()[0]
        where, args = self._where(query)
        return self.db.execute(f"SELECT count(*) FROM posts p{where}", args).fetchone()[0]

    def histogram(self, query: PostQuery, interval: Interval = "day", tz: str = "UTC") -> list[tuple[datetime, int]]:
        fmt = {"hour": "%Y-%m-%dT%H", "day": "%Y-%m-%d"}[interval]
        shift = f"{offset_minutes(tz):+d} minutes"  # the zone's fixed offset: local wall-clock time, then truncate
        where, args = self._where(query)
        rows = self.db.execute(
            f"SELECT strftime(?, p.created_at, ?) AS b, count(*) FROM posts p{where} GROUP BY b ORDER BY b",
            [fmt, shift, *args])
        return [(datetime.strptime(b, fmt).replace(tzinfo=zone(tz)), n) for b, n in rows]

    def terms(self, query: PostQuery, field: TermField, size: int = 10) -> list[tuple[str, int]]:
        where, args = self._where(query)
        if field in ("campaigns", "hashtags"):
            table, col = ("post_campaigns", "campaign") if field == "campaigns" else ("post_hashtags", "hashtag")
            sql = (f"SELECT t.{col} AS v, count(*) AS n FROM {table} t JOIN posts p ON p.rowid = t.post_rowid{where} "
                   f"GROUP BY v ORDER BY n DESC, v LIMIT ?")
        else:
            col = _COLUMNS[field]
            extra = f"p.{col} IS NOT NULL"
            where = f"{where} AND {extra}" if where else f" WHERE {extra}"
            sql = f"SELECT p.{col} AS v, count(*) AS n FROM posts p{where} GROUP BY v ORDER BY n DESC, v LIMIT ?"
        return [(v, n) for v, n in self.db.execute(sql, [*args, size])]

    def scan(self, query: PostQuery, sort: Sort = "oldest") -> Iterator[Post]:
        where, args = self._where(query)
        source, join_args, keys = self._ordered(query, sort)
        order = ", ".join(f"{e} {'DESC' if d else 'ASC'}" for e, d in keys)
        select = ", ".join(e for e, _ in keys)
        cursor: tuple | None = None
        while True:
            clause, values = where, list(args)
            if cursor is not None:
                clause = f"{where} AND {_after(keys)}" if where else f" WHERE {_after(keys)}"
                values += _after_args(keys, cursor)
            rows = self.db.execute(f"SELECT {select}, p.doc FROM {source}{clause} ORDER BY {order} LIMIT ?",
                                   [*join_args, *values, self.scan_page]).fetchall()
            if not rows:
                return
            for *_, doc in rows:
                yield Post.model_validate_json(doc)
            cursor = tuple(rows[-1][:-1])

    # -- campaigns --
    def put_campaign(self, campaign: Campaign) -> None:
        with self._sqlite.lock:
            self.db.execute("INSERT OR REPLACE INTO campaigns VALUES (?,?,?)",
                            (campaign.id, campaign.workspace, campaign.model_dump_json()))

    def get_campaign(self, campaign_id: str) -> Campaign | None:
        row = self.db.execute("SELECT doc FROM campaigns WHERE id=?", (campaign_id,)).fetchone()
        return Campaign.model_validate_json(row[0]) if row else None

    def list_campaigns(self, workspace: str | None = None) -> list[Campaign]:
        sql, args = "SELECT doc FROM campaigns", []
        if workspace is not None:
            sql, args = sql + " WHERE workspace=?", [workspace]
        return [Campaign.model_validate_json(d) for (d,) in self.db.execute(sql + " ORDER BY id", args)]

    def remove_campaign(self, campaign_id: str) -> bool:
        with self._sqlite.lock, self.db:
            self.db.execute("INSERT OR REPLACE INTO campaign_tombstones SELECT id, workspace FROM campaigns WHERE id=?",
                            (campaign_id,))
            return self.db.execute("DELETE FROM campaigns WHERE id=?", (campaign_id,)).rowcount > 0

    def campaign_tombstone(self, campaign_id: str) -> str | None:
        row = self.db.execute("SELECT workspace FROM campaign_tombstones WHERE id=?", (campaign_id,)).fetchone()
        return row[0] if row else None

