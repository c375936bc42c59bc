"""One shared spaCy blank pipeline per language, and its tokenisation at dictionary-lookup speed.

Building blank("id") costs ~1-1.5 s (its tokenizer has ~16k special cases), so ``warm_up`` can start it in a
background thread; ``get_nlp`` blocks until it is ready. Thread-safe: each language is built once.

``chunks``/``tokens``/``doc``: spaCy's tokenizer splits text at whitespace and tokenises each whitespace-free chunk on its own
(prefixes, suffixes, infixes, special cases, URL match), so caching its output per chunk gives exactly
``nlp.make_doc(text)`` without building a Doc per post in the hot path (tests/classifiers/test_nlp.py checks the
equality on every labelled text).
"""
from __future__ import annotations

import threading

_LOCK = threading.Lock()
_NLP: dict[str, object] = {}
_BUILDING: dict[str, threading.Event] = {}


def get_nlp(lang: str = "id"):
    lang = "en" if lang == "en" else "id"
    nlp = _NLP.get(lang)
    if nlp is not None:
        return nlp
    with _LOCK:
        ev = _BUILDING.get(lang)
        owner = ev is None
        if owner:
            ev = _BUILDING[lang] = threading.Event()
    if owner:
        try:
            import spacy

            _NLP[lang] = spacy.blank(lang)
        finally:
            ev.set()
    else:
        ev.wait()
    if lang not in _NLP:
        raise RuntimeError(f"building spaCy blank('{lang}') failed")
    return _NLP[lang]


_CHUNKS: dict[str, dict[str, tuple[str, ...]]] = {"id": {}, "en": {}}
_CHUNKS_MAX = 300_000  # per language; cleared when full (a cache, not a vocabulary that grows forever)


def _chunk_tokens(chunk: str, lang: str) -> tuple[str, ...]:
    cache = _CHUNKS[lang]
    if len(cache) >= _CHUNKS_MAX:
        cache.clear()
    toks = cache[chunk] = tuple(t.text for t in get_nlp(lang).tokenizer(chunk))
    return toks


def chunks(text: str, lang: str | None = "id") -> list[tuple[str, ...]]:
    """spaCy blank(lang) tokens of each whitespace-free chunk of ``text``, in order (every chunk has >= 1 token)."""
    lang = "en" if lang == "en" else "id"
    get = _CHUNKS[lang].get
    return [get(c) or _chunk_tokens(c, lang) for c in text.split()]


def tokens(text: str, lang: str | None = "id") -> list[str]:
    """spaCy blank(lang) tokens of ``text`` without the whitespace tokens."""
    return [t for toks in chunks(text, lang) for t in toks]


def doc(chunked: list[tuple[str, ...]], lang: str | None = "id"):
    """A spaCy Doc from ``chunks(text)``: the tokens of ``nlp.make_doc(text)``, runs of whitespace kept as one space."""
    from spacy.tokens import Doc

    words = [t for toks in chunked for t in toks]
    spaces = [i == len(toks) - 1 for toks in chunked for i in range(len(toks))]
    if spaces:
        spaces[-1] = False
    return Doc(get_nlp(lang).vocab, words=words, spaces=spaces)


def warm_up(langs: tuple[str, ...] = ("id", "en")) -> threading.Thread:
    """Build the pipelines in a daemon thread; later ``get_nlp`` calls wait for it instead of rebuilding."""
    t = threading.Thread(target=lambda: [get_nlp(l) for l in langs], name="spacy-warm-up", daemon=True)
    t.start()
    return t
