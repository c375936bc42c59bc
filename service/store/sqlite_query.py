"""The search language (service/store/query.py) compiled for SQLite: text leaves become FTS5 MATCH expressions
over the analysed columns of `posts_search` (stems, words), field operators become SQL on the posts table.

A whole text subtree (words, phrases, prefixes, AND/OR, and NOT beside a positive part) is one MATCH, so FTS5
intersects its posting lists itself; only a NOT standing alone or beside a field operator becomes `NOT IN`.
"""
from __future__ import annotations

from service.store.query import And, Const, Field, Node, Not, Or, Prefix, Terms, positive_terms

MATCH = "p.rowid IN (SELECT rowid FROM posts_search WHERE posts_search MATCH ?)"
# Selective field operators are rowid sets read from an index (posts_author, the tag tables' keys); platform,
# language and campaign (a few values, each shared by many posts) are tested on the posts the rest selects. Every
# form is never NULL, so NOT works as on Elasticsearch.
_COLUMN = {"platform": "p.platform", "lang": "p.lang"}
_SET = {"author": ("posts", "rowid", "author"), "hashtag": ("post_hashtags", "post_rowid", "hashtag"),
        "domain": ("post_domains", "post_rowid", "domain")}


def fts(node: Node) -> str | None:
    """One FTS5 expression for this subtree, or None when it holds a field operator or a NOT FTS5 cannot say."""
    if isinstance(node, Terms):  # tokens are letters and digits only: nothing to escape inside the quotes
        return f'stems : "{" ".join(node.stems)}"'
    if isinstance(node, Prefix):
        return f'words : "{node.prefix}"*'
    if isinstance(node, And):
        positive, negative = [], []
        for child in node.children:
            inner = fts(child.child if isinstance(child, Not) else child)
            if inner is None:
                return None
            (negative if isinstance(child, Not) else positive).append(inner)
        if not positive:  # FTS5's NOT is binary: "a NOT b"
            return None
        expr = "(" + " AND ".join(positive) + ")"
        return expr + " NOT (" + " OR ".join(negative) + ")" if negative else expr
    if isinstance(node, Or):
        parts = [fts(c) for c in node.children]
        return None if None in parts else "(" + " OR ".join(parts) + ")"  # type: ignore[arg-type]
    return None


def where(node: Node) -> tuple[str, list]:
    """A SQL condition on `posts p` (never NULL) and its arguments."""
    if (expr := fts(node)) is not None:
        return MATCH, [expr]
    if isinstance(node, Const):
        return ("1" if node.value else "0"), []
    if isinstance(node, Field):
        marks = ",".join("?" * len(node.values))
        if node.name in _COLUMN:
            return f"IFNULL({_COLUMN[node.name]} IN ({marks}), 0)", list(node.values)
        if node.name == "campaign":
            return (f"EXISTS (SELECT 1 FROM post_campaigns t WHERE t.campaign IN ({marks}) AND t.post_rowid = p.rowid)",
                    list(node.values))
        table, key, column = _SET[node.name]
        return f"p.rowid IN (SELECT {key} FROM {table} WHERE {column} IN ({marks}))", list(node.values)
    if isinstance(node, Not):
        inner, args = where(node.child)
        return f"NOT ({inner})", args
    if isinstance(node, Or):
        parts = [where(c) for c in node.children]
        return "(" + " OR ".join(p for p, _ in parts) + ")", [a for _, args in parts for a in args]
    assert isinstance(node, And)
    # the text children (and NOTs of text) that can share one MATCH, the rest as SQL
    text = [c for c in node.children if fts(c.child if isinstance(c, Not) else c) is not None]
    rest = [c for c in node.children if c not in text]
    if text and not any(not isinstance(c, Not) for c in text):
        rest, text = node.children, []
    parts = [where(And(tuple(text)) if len(text) > 1 else text[0])] if text else []
    parts += [where(c) for c in rest]
    return "(" + " AND ".join(p for p, _ in parts) + ")", [a for _, args in parts for a in args]


def rank_expression(node: Node) -> str | None:
    """What bm25 ranks by: any positive word, phrase or prefix of the query."""
    leaves = positive_terms(node)
    return fts(Or(tuple(leaves))) if leaves else None
