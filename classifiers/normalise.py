"""Text normalisation for Indonesian (and English) social-media text.

Steps, in order: Unicode NFKC + lowercase; URLs -> ``urltoken`` (the URL itself is kept in Post.links by the
collectors), @mentions -> ``usertoken``, ``#HashTag`` -> ``hashtag`` word (the tag's words are kept, the ``#`` is
dropped); clitic re-joining of SmSA-style ``makanan nya`` -> ``makanannya``; elongations (``bagusss`` -> ``baguss``);
spaCy ``blank("id")``/``blank("en")`` tokenisation; slang/abbreviation table (``gak`` -> ``tidak``, ``yg`` ->
``yang``); reduplication (``kata-kata`` / ``kata2`` -> ``kata``).

The slang table is ``resources/slang_id.tsv`` (written for this project, Apache-2.0/CC0; see its header).
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from service.domain import Post

_RESOURCES = Path(__file__).with_name("resources")

URL_RE = re.compile(r"(?:https?://|www\.)\S+|\b[a-z0-9.-]+\.(?:com|id|co|net|org|ly|me|it)/\S*", re.I)
MENTION_RE = re.compile(r"(?<![\w@])@\w{1,30}")
HASHTAG_RE = re.compile(r"(?<![\w#])#(\w+)")
CAMEL_RE = re.compile(r"(?<=[a-z])(?=[A-Z])")
ELONG_RE = re.compile(r"([a-z])\1{2,}")
CLITIC_RE = re.compile(r"\b(\w+) (nya|lah|kah|pun)\b")
REDUP_DASH_RE = re.compile(r"^(\w+)-\1$")
REDUP_2_RE = re.compile(r"^([a-z]{2,})2$")
SPACE_RE = re.compile(r"\s+")
# emoticons and a few emoji carry sentiment; map them to words the models can learn
EMOTICONS = {
    ":)": " emopos ", ":-)": " emopos ", ":d": " emopos ", "(:": " emopos ", ";)": " emopos ", "<3": " emopos ",
    ":(": " emoneg ", ":-(": " emoneg ", ":'(": " emoneg ", "):": " emoneg ",
}
EMOJI_POS = set("😀😁😂😃😄😅😆😊😍😘🥰👍👏🙏❤💕💖🤗😎🎉✨💯🔥")
EMOJI_NEG = set("😠😡🤬😢😭😞😔😒🙄👎💔😤😩😫🤮😱")
NEGATORS = frozenset({"tidak", "bukan", "belum", "jangan", "kurang", "not", "no", "never", "tanpa"})


@lru_cache(maxsize=1)
def slang_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for line in (_RESOURCES / "slang_id.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        informal, _, standard = line.partition("\t")
        if standard.strip():
            table[informal.strip().lower()] = standard.strip().lower()
    return table


def _tokenizer(lang: str):
    from .nlp import get_nlp

    return get_nlp(lang).tokenizer


def pre_clean(text: str) -> str:
    """Character-level clean-up done before tokenisation."""
    text = unicodedata.normalize("NFKC", text)
    text = URL_RE.sub(" urltoken ", text)
    text = MENTION_RE.sub(" usertoken ", text)
    # split CamelCase hashtags into words before lowercasing (#JanganPercayaHoax -> jangan percaya hoax)
    text = HASHTAG_RE.sub(lambda m: " " + CAMEL_RE.sub(" ", m.group(1)) + " ", text)
    text = text.lower()
    for emo, word in EMOTICONS.items():
        if emo in text:
            text = text.replace(emo, word)
    if any(ch in EMOJI_POS or ch in EMOJI_NEG for ch in text):
        text = "".join(" emopos " if ch in EMOJI_POS else " emoneg " if ch in EMOJI_NEG else ch for ch in text)
    text = ELONG_RE.sub(r"\1\1", text)
    text = CLITIC_RE.sub(r"\1\2", text)
    return text


def normalise_token(tok: str, table: dict[str, str]) -> str:
    m = REDUP_DASH_RE.match(tok) or REDUP_2_RE.match(tok)
    if m:
        tok = m.group(1)
    return table.get(tok, tok)


def normalise_tokens(text: str, lang: str | None = "id") -> list[str]:
    table = slang_table()
    doc = _tokenizer(lang or "id")(pre_clean(text))
    out: list[str] = []
    for t in doc:
        if t.is_space:
            continue
        out.extend(normalise_token(t.text, table).split())
    return out


def normalise(text: str, lang: str | None = "id") -> str:
    """The normalised text as one space-joined string (what the sentiment and hoax models read)."""
    return " ".join(normalise_tokens(text, lang))


def normalise_many(texts: list[str], langs: list[str | None] | None = None) -> list[str]:
    """Batch version: runs spaCy's tokenizer.pipe per language (faster than one call per text)."""
    langs = langs or ["id"] * len(texts)
    table = slang_table()
    out: list[str] = [""] * len(texts)
    for lang in {("en" if l == "en" else "id") for l in langs}:
        idx = [i for i, l in enumerate(langs) if ("en" if l == "en" else "id") == lang]
        docs = _tokenizer(lang).pipe(pre_clean(texts[i]) for i in idx)
        for i, doc in zip(idx, docs):
            toks: list[str] = []
            for t in doc:
                if not t.is_space:
                    toks.append(normalise_token(t.text, table))
            out[i] = " ".join(toks)
    return out


def mark_negation(text: str, scope: int = 2) -> str:
    """Append ``neg_<w>`` tokens for the words that follow a negator (``tidak enak`` -> ``tidak enak neg_enak``)."""
    toks = text.split()
    extra: list[str] = []
    left = 0
    for t in toks:
        if t in NEGATORS:
            left = scope
            continue
        if left and t.isalpha():
            extra.append("neg_" + t)
            left -= 1
        elif not t.isalnum():
            left = 0
    return text + (" " + " ".join(extra) if extra else "")


def post_text(post: Post) -> str:
    return f"{post.title}. {post.text}" if post.title else post.text


class Normaliser:
    """Chain step: normalises each post's title+text once per batch; later steps read it with ``get``.

    The cache holds only the current batch (keyed by object id, valid while the batch is alive), so nothing
    is added to the Post model and memory does not grow.
    """

    def __init__(self) -> None:
        self._batch: dict[int, tuple[Post, str]] = {}

    def classify(self, posts: list[Post]) -> list[Post]:
        norms = normalise_many([post_text(p) for p in posts], [p.lang for p in posts])
        self._batch = {id(p): (p, n) for p, n in zip(posts, norms)}
        return posts

    def get(self, post: Post) -> str:
        hit = self._batch.get(id(post))
        if hit is not None and hit[0] is post:
            return hit[1]
        return normalise(post_text(post), post.lang)

    def get_many(self, posts: list[Post]) -> list[str]:
        missing = [p for p in posts if self._batch.get(id(p), (None,))[0] is not p]
        if missing:
            extra = normalise_many([post_text(p) for p in missing], [p.lang for p in missing])
            self._batch.update({id(p): (p, n) for p, n in zip(missing, extra)})
        return [self._batch[id(p)][1] for p in posts]
