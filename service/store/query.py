"""The search language: Lucene-style Boolean syntax, parsed by luqum into a small tree that each backend compiles
(service/store/sqlite.py to FTS5 MATCH + SQL, service/store/elastic.py to a bool query), so both answer alike.

    hotel -gratis            words are ANDed; -word or NOT word excludes
    vaksin OR vaccine        either word; AND binds tighter than OR: a AND b OR c = (a AND b) OR c
    "hotel gratis"           a phrase: these words in this order
    vaksin*                  any word starting with "vaksin" (a trailing * only)
    (vaksin OR vaccine) -hoaks
    author:@budi platform:telegram lang:id hashtag:vaksinchip domain:kompas.com campaign:asean

Words and phrases match stems (service/store/analysis.py): `vaksin` finds "vaksinasi" and "divaksin". Juxtaposition
binds loosest: `a b OR c` = a AND (b OR c). Operators are upper case. Field values are exact (hashtags without #,
case-insensitive; `domain:` also matches subdomains; `author:budi` also matches @budi). Anything else
(ranges, fuzzy ~, boosts ^, regexes, ? wildcards, unknown fields) is refused with the position.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from luqum import tree
from luqum.exceptions import IllegalCharacterError, ParseError
from luqum.parser import parser

from core.langcodes import normalize_lang
from service.store.analysis import stem, words

FIELDS = ("author", "platform", "lang", "hashtag", "domain", "campaign")
MAX_QUERY = 2000  # characters; a search box, not a document
MAX_DEPTH = 20  # nested groups, operators and NOTs


class QuerySyntaxError(ValueError):
    """A query the language cannot read: the message names the position (0-based character offset)."""

    def __init__(self, message: str, position: int):
        self.position = position
        super().__init__(f"{message} (at position {position})")


# -- the tree both backends compile --
@dataclass(frozen=True)
class Terms:
    """A word (one stem) or a phrase (stems in order), matched in the title or the text; `words` as written
    (folded), for what matches words rather than stems (alert rules)."""
    stems: tuple[str, ...]
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class Prefix:
    """Any word starting with this (folded, not stemmed)."""
    prefix: str


@dataclass(frozen=True)
class Field:
    """An exact-value filter; `values` are alternatives (author:budi -> budi or @budi)."""
    name: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class Const:
    """Always (True) or never (False): what a campaign outside the caller's workspace compiles to."""
    value: bool


Node = Terms | Prefix | Field | And | Or | Not | Const
TRUE, FALSE = Const(True), Const(False)


@lru_cache(maxsize=1024)
def parse(text: str) -> Node:
    """The query tree; QuerySyntaxError (a 400 at the API edge) for anything the language does not accept."""
    if len(text) > MAX_QUERY:
        raise QuerySyntaxError(f"query longer than {MAX_QUERY} characters", MAX_QUERY)
    try:
        parsed = parser.parse(text)
    except RecursionError:
        raise QuerySyntaxError(f"groups and NOTs nested more than {MAX_DEPTH} levels deep", 0) from None
    except IllegalCharacterError as exc:
        raise QuerySyntaxError(f"cannot read {_quote(str(exc))}: unclosed quote?", _position(str(exc), text)) \
            from None
    except (ParseError, ValueError) as exc:  # luqum's ParseSyntaxError and friends
        message = str(exc).removeprefix("Syntax error in input : ").rstrip("!")
        message = re.sub(r"\s*at (position \d+|the end)$", "", message)
        raise QuerySyntaxError(message, _position(str(exc), text)) from None
    return _build(parsed, None)


def _position(message: str, text: str) -> int:
    found = re.search(r"position (\d+)", message)
    return int(found.group(1)) if found else len(text)


def _quote(message: str) -> str:
    found = re.search(r"'([^']*)'", message)
    return repr(found.group(1)[:40]) if found else "the query"


def _build(item: tree.Item, field: str | None, depth: int = 0) -> Node:
    if depth > MAX_DEPTH:  # Elasticsearch refuses bool queries nested past 30 levels; Python recursion is finite
        raise QuerySyntaxError(f"groups and NOTs nested more than {MAX_DEPTH} levels deep", item.pos)
    if isinstance(item, (tree.Group, tree.FieldGroup)):
        return _build(item.expr, field, depth + 1)
    if isinstance(item, (tree.AndOperation, tree.UnknownOperation)):
        return And(tuple(_build(c, field, depth + 1) for c in item.children))
    if isinstance(item, tree.OrOperation):
        return Or(tuple(_build(c, field, depth + 1) for c in item.children))
    if isinstance(item, (tree.Not, tree.Prohibit)):
        return Not(_build(item.a, field, depth + 1))
    if isinstance(item, tree.Plus):
        return _build(item.a, field, depth + 1)
    if isinstance(item, tree.SearchField):
        if field is not None:
            raise QuerySyntaxError(f"field {item.name}: inside field {field}:", item.pos)
        if item.name not in FIELDS:
            raise QuerySyntaxError(f"unknown field {item.name!r}; fields are {', '.join(FIELDS)}", item.pos)
        return _build(item.expr, item.name, depth + 1)
    if isinstance(item, (tree.Word, tree.Phrase)):
        return _field(field, item) if field else _text(item)
    kinds = {tree.Range: "ranges", tree.Fuzzy: "fuzzy ~", tree.Proximity: "proximity ~", tree.Boost: "boosts ^",
             tree.Regex: "regular expressions"}
    what = next((name for cls, name in kinds.items() if isinstance(item, cls)), type(item).__name__)
    raise QuerySyntaxError(f"{what} are not supported", item.pos)


def _text(item: tree.Word | tree.Phrase) -> Node:
    value = item.value[1:-1] if isinstance(item, tree.Phrase) else item.value
    if isinstance(item, tree.Word) and ("?" in value or "*" in value.rstrip("*") or value.endswith("**")):
        raise QuerySyntaxError(f"only a trailing * is supported, not {value!r}", item.pos)
    if isinstance(item, tree.Word) and value.endswith("*"):
        tokens = words(value[:-1])
        if len(tokens) != 1:
            raise QuerySyntaxError(f"a prefix must be one word of letters or digits, not {value!r}", item.pos)
        return Prefix(tokens[0])
    tokens = words(value)
    if not tokens:
        raise QuerySyntaxError(f"nothing to search in {value!r}: use letters or digits", item.pos)
    return Terms(tuple(stem(t) for t in tokens), tuple(tokens))  # a word that splits (covid-19) is a phrase


def _field(name: str, item: tree.Word | tree.Phrase) -> Node:
    value = (item.value[1:-1] if isinstance(item, tree.Phrase) else item.value).strip()
    if not value:
        raise QuerySyntaxError(f"{name}: needs a value", item.pos)
    if name == "hashtag":
        return Field(name, (value.lstrip("#").lower(),))
    if name == "author":
        bare = value.lstrip("@")
        return Field(name, (bare, f"@{bare}"))
    if name == "lang":
        return Field(name, (normalize_lang(value) or value.lower(),))
    if name in ("platform", "domain"):
        return Field(name, (value.lower().removeprefix("www."),))
    return Field(name, (value,))


def scoped(node: Node, campaigns: list[str] | None) -> Node:
    """The tree a caller may run: `campaign:` values outside its workspace (`campaigns`; None = every campaign)
    become never-true, whatever exists, so the operator can only narrow a search, never reach another
    workspace's campaigns, and says nothing about them. Constants are then folded away."""
    allowed = None if campaigns is None else set(campaigns)

    def visit(n: Node) -> Node:
        if isinstance(n, Field) and n.name == "campaign" and allowed is not None:
            kept = tuple(v for v in n.values if v in allowed)
            return Field(n.name, kept) if kept else FALSE
        if isinstance(n, Not):
            inner = visit(n.child)
            return Const(not inner.value) if isinstance(inner, Const) else Not(inner)
        if isinstance(n, (And, Or)):
            absorbing = isinstance(n, Or)  # TRUE absorbs an OR, FALSE an AND
            kids = []
            for child in map(visit, n.children):
                if isinstance(child, Const):
                    if child.value == absorbing:
                        return child
                    continue
                kids.append(child)
            if not kids:
                return Const(not absorbing)
            return kids[0] if len(kids) == 1 else type(n)(tuple(kids))
        return n

    return visit(node)


def positive_terms(node: Node) -> list[Terms | Prefix]:
    """The text leaves not under a NOT: what relevance ranks by."""
    if isinstance(node, (Terms, Prefix)):
        return [node]
    if isinstance(node, (And, Or)):
        return [t for c in node.children for t in positive_terms(c)]
    return []
