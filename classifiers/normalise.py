"""Text normalisation for Indonesian (and English) social-media text.

Steps, in order: Unicode NFKC + lowercase; URLs -> ``urltoken`` (the URL itself is kept in Post.links by the
collectors), @mentions -> ``usertoken``, ``#HashTag`` -> ``hashtag`` word (the tag's words are kept, the ``#`` is
dropped); clitic re-joining of SmSA-style ``makanan nya`` -> ``makanannya``; elongations (``bagusss`` -> ``baguss``);
spaCy ``blank("id")`` / ``blank("en")`` tokenisation (cached per whitespace-free chunk, see ``nlp.tokens``:
``kata-kata``, ``e-ktp`` and ``10.000,00`` stay one token, English clitics are split off); slang/abbreviation table
(``gak`` -> ``tidak``, ``yg`` -> ``yang``); reduplication (``kata-kata`` / ``kata2`` -> ``kata``).

The slang table is ``resources/slang_id.tsv`` (written for this project, Apache-2.0/CC0; see its header).
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from core.domain import Post

from .nlp import chunks as nlp_chunks
from .nlp import tokens as nlp_tokens

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
EMOJI_RE = None  # built below from EMOJI_POS / EMOJI_NEG
# emoticons and a few emoji carry sentiment; map them to words the models can learn
EMOTICONS = {
    ":)": " emopos ", ":-)": " emopos ", ":d": " emopos ", "(:": " emopos ", ";)": " emopos ", "<3": " emopos ",
    ":(": " emoneg ", ":-(": " emoneg ", ":'(": " emoneg ", "):": " emoneg ",
}
EMOJI_POS = set("😀😁😂😃😄😅😆😊😍😘🥰👍👏🙏❤💕💖🤗😎🎉✨💯🔥")
EMOJI_NEG = set("😠😡🤬😢😭😞😔😒🙄👎💔😤😩😫🤮😱")
EMOJI_RE = re.compile("[" + re.escape("".join(sorted(EMOJI_POS | EMOJI_NEG))) + "]")
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


def tokenize(text: str, lang: str | None = "id") -> list[str]:
    """spaCy ``blank(lang)`` tokens of pre-cleaned text (whitespace tokens dropped; see ``nlp.tokens``)."""
    return nlp_tokens(text, lang)


def pre_clean(text: str) -> str:
    """Character-level clean-up done before tokenisation."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    # the cheap substring guards skip regexes that cannot match (every URL match contains '/' or a "www.")
    if "/" in text or ("." in text and "www." in text.lower()):
        text = URL_RE.sub(" urltoken ", text)
    if "@" in text:
        text = MENTION_RE.sub(" usertoken ", text)
    if "#" in text:
        # split CamelCase hashtags into words before lowercasing (#JanganPercayaHoax -> jangan percaya hoax)
        text = HASHTAG_RE.sub(lambda m: " " + CAMEL_RE.sub(" ", m.group(1)) + " ", text)
    text = text.lower()
    if ":" in text or ";" in text or "(" in text or ")" in text or "<" in text:
        for emo, word in EMOTICONS.items():
            if emo in text:
                text = text.replace(emo, word)
    if not text.isascii() and EMOJI_RE.search(text):
        text = EMOJI_RE.sub(lambda m: " emopos " if m.group() in EMOJI_POS else " emoneg ", text)
    text = ELONG_RE.sub(r"\1\1", text)
    if " nya" in text or " lah" in text or " kah" in text or " pun" in text:  # what every clitic match contains
        text = CLITIC_RE.sub(r"\1\2", text)
    return text


def normalise_token(tok: str, table: dict[str, str]) -> str:
    m = REDUP_DASH_RE.match(tok) or REDUP_2_RE.match(tok)
    if m:
        tok = m.group(1)
    return table.get(tok, tok)


_TOKEN_CACHE: dict[str, str] = {}
_TOKEN_CACHE_MAX = 200_000


def _norm_token_cached(tok: str) -> str:
    out = _TOKEN_CACHE.get(tok)
    if out is None:
        if len(_TOKEN_CACHE) >= _TOKEN_CACHE_MAX:
            _TOKEN_CACHE.clear()
        out = _TOKEN_CACHE[tok] = normalise_token(tok, slang_table())
    return out


def normalise_tokens(text: str, lang: str | None = "id") -> list[str]:
    return normalise(text, lang).split()


# whitespace-free chunk of pre-cleaned text -> its normalised tokens, space-joined (a text's normalised form is the
# join of its chunks': spaCy tokenises each chunk on its own, see nlp.py); per language, cleared when full
_CHUNK_NORM: dict[str, dict[str, str]] = {"id": {}, "en": {}}


def _norm_chunk(chunk: str, lang: str) -> str:
    cache = _CHUNK_NORM[lang]
    if len(cache) >= _TOKEN_CACHE_MAX:
        cache.clear()
    out = cache[chunk] = " ".join([_norm_token_cached(t) for toks in nlp_chunks(chunk, lang) for t in toks])
    return out


def normalise(text: str, lang: str | None = "id") -> str:
    """The normalised text as one space-joined string (what the sentiment and hoax models read)."""
    lang = "en" if lang == "en" else "id"
    get = _CHUNK_NORM[lang].get
    return " ".join(filter(None, [get(c) or _norm_chunk(c, lang) for c in pre_clean(text).split()]))


def normalise_many(texts: list[str], langs: list[str | None] | None = None) -> list[str]:
    """Batch version of ``normalise``."""
    if langs is None:
        return [normalise(t, "id") for t in texts]
    return [normalise(t, "en" if l == "en" else "id") for t, l in zip(texts, langs)]


def negation_extra(toks: list[str], scope: int = 2) -> list[str]:
    """The ``neg_<w>`` tokens for the words that follow a negator, within ``scope`` words."""
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
    return extra


def mark_negation(text: str, scope: int = 2) -> str:
    """Append ``neg_<w>`` tokens for the words that follow a negator (``tidak enak`` -> ``tidak enak neg_enak``)."""
    extra = negation_extra(text.split(), scope)
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
        self._feats = None  # (posts, space, space.version, DocFeatures) of the last featurised batch

    def classify(self, posts: list[Post]) -> list[Post]:
        norms = normalise_many([post_text(p) for p in posts], [p.lang for p in posts])
        self._batch = {id(p): (p, n) for p, n in zip(posts, norms)}
        self._feats = None
        return posts

    def features_many(self, posts: list[Post], space):
        """TermSpace features of the posts' normalised text, computed once per batch and shared by the models
        (recomputed if the space gained terms since, e.g. after the claim index was rebuilt)."""
        f = self._feats
        if f is not None and f[1] is space and f[2] == space.version and len(f[0]) == len(posts) \
                and all(a is b for a, b in zip(f[0], posts)):
            return f[3]
        feats = space.featurise(self.get_many(posts))
        self._feats = (list(posts), space, space.version, feats)
        return feats

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
