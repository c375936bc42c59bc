"""The search language (service/store/query.py) compiled for SQLite: text leaves and field operators become FTS5
MATCH expressions over the columns of `posts_search`: the analysed text (stems, words) and the post's field values
(tags: one token per value, `tag()`).

A whole subtree (words, phrases, prefixes, field operators, AND/OR, and NOT beside a positive part) is one MATCH, so
FTS5 intersects its posting lists itself, without reading a post row; only a NOT with no positive part beside it
becomes `NOT IN`.
"""
from __future__ import annotations

from service.store.query import And, Const, Field, Node, Not, Or, Prefix, Terms, positive_terms

MATCH = "p.rowid IN (SELECT rowid FROM posts_search WHERE posts_search MATCH ?)"
_PREFIX = {"author": "a", "platform": "p", "lang": "l", "hashtag": "h", "domain": "d", "campaign": "c"}


def tag(field: str, value: str) -> str:
    """The `tags` token of an exact field value: the field's letter and the value's UTF-8 in hex, so any value is
    one token the tokenizer neither splits nor folds, and matching it is exact (case included)."""
    return _PREFIX[field] + value.encode().hex()


def fts(node: Node) -> str | None:
    """One FTS5 expression for this subtree, or None when it holds a constant or a NOT FTS5 cannot say."""
    if isinstance(node, Terms):  # tokens are letters and digits only: nothing to escape inside the quotes
        return f'stems : "{" ".join(node.stems)}"'
    if isinstance(node, Prefix):
        return f'words : "{node.prefix}"*'
    if isinstance(node, Field):
        return "(" + " OR ".join(f'tags : "{tag(node.name, v)}"' for v in node.values) + ")"
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
        return "(" + expr + " NOT (" + " OR ".join(negative) + "))" if negative else expr
    if isinstance(node, Or):
        parts = [fts(c) for c in node.children]
        return None if None in parts else "(" + " OR ".join(parts) + ")"  # type: ignore[arg-type]
    return None


def where(node: Node) -> tuple[str, list]:
    """A SQL condition on `posts p` (never NULL, so NOT works as on Elasticsearch) and its arguments."""
    if (expr := fts(node)) is not None:
        return MATCH, [expr]
    if isinstance(node, Const):
        return ("1" if node.value else "0"), []
    if isinstance(node, Not):
        inner, args = where(node.child)
        return f"NOT ({inner})", args
    if isinstance(node, Or):
        parts = [where(c) for c in node.children]
        return "(" + " OR ".join(p for p, _ in parts) + ")", [a for _, args in parts for a in args]
    assert isinstance(node, And)
    # the children (and NOTs of children) that can share one MATCH, the rest as SQL
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
