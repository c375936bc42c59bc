"""One shared spaCy blank pipeline per language.

Building blank("id") costs ~1-1.5 s (its tokenizer has ~16k special cases), so ``warm_up`` can start it in a
background thread; ``get_nlp`` blocks until it is ready. Thread-safe: each language is built once.
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


def warm_up(langs: tuple[str, ...] = ("id", "en")) -> threading.Thread:
    """Build the pipelines in a daemon thread; later ``get_nlp`` calls wait for it instead of rebuilding."""
    t = threading.Thread(target=lambda: [get_nlp(l) for l in langs], name="spacy-warm-up", daemon=True)
    t.start()
    return t
