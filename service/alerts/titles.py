"""Alert titles as a template key + parameters, so each language renders its own wording.

The engine stores the English rendering in `Alert.title` (what API clients and channels have always read) and the
key + parameters beside it; the dashboards render the same key in the reader's language. Parameters are plain
strings or integers already formatted (numbers to 3 significant digits), so the browser's renderer is a bare
`{name}` substitution identical to this one.
"""
from __future__ import annotations

import re

TITLES: dict[str, dict[str, str]] = {
    "keyword": {"en": "“{rule}” matched {count} post(s)",
                "id": "“{rule}” cocok dengan {count} unggahan"},
    "spike.campaign": {"en": "Volume spike in campaign {campaign}: {value} vs median {median} (z={z})",
                       "id": "Lonjakan volume di kampanye {campaign}: {value} dibanding median {median} (z={z})"},
    "spike.narrative": {"en": "Volume spike in narrative {narrative}: {value} vs median {median} (z={z})",
                        "id": "Lonjakan volume di narasi {narrative}: {value} dibanding median {median} (z={z})"},
    "negative_share.campaign": {
        "en": "Negative-sentiment surge in campaign {campaign}: {value} vs median {median} (z={z})",
        "id": "Lonjakan sentimen negatif di kampanye {campaign}: {value} dibanding median {median} (z={z})"},
    "negative_share.narrative": {
        "en": "Negative-sentiment surge in narrative {narrative}: {value} vs median {median} (z={z})",
        "id": "Lonjakan sentimen negatif di narasi {narrative}: {value} dibanding median {median} (z={z})"},
    "hoax.claim": {"en": "Hoax spreading: {count} post(s) match a known debunked claim",
                   "id": "Hoaks menyebar: {count} unggahan cocok dengan klaim yang sudah dibantah"},
    "hoax.suspected": {"en": "Hoax spreading: {count} post(s) flagged as suspected hoaxes",
                       "id": "Hoaks menyebar: {count} unggahan ditandai sebagai dugaan hoaks"},
    "coordinated.link": {"en": "Coordinated posting: {accounts} accounts posted the same link within {seconds} s",
                         "id": "Unggahan terkoordinasi: {accounts} akun mengunggah tautan yang sama dalam {seconds} detik"},
    "coordinated.text": {"en": "Coordinated posting: {accounts} accounts posted the same text within {seconds} s",
                         "id": "Unggahan terkoordinasi: {accounts} akun mengunggah teks yang sama dalam {seconds} detik"},
}
_FIELD = re.compile(r"\{(\w+)\}")


def num(x: float) -> str:
    return f"{x:.3g}"


def render_title(key: str | None, params: dict | None, lang: str = "en", fallback: str = "") -> str:
    """`key` in `lang` (else English) with `params` substituted; `fallback` (the stored title) for an unknown key,
    e.g. an alert stored before titles had keys."""
    entry = TITLES.get(key or "")
    if entry is None:
        return fallback
    params = params or {}
    return _FIELD.sub(lambda m: str(params.get(m.group(1), m.group(0))), entry.get(lang) or entry["en"])


def titles_for(lang: str) -> dict[str, str]:
    """Every template in `lang`: shipped to the browser, which renders live alerts with the same substitution."""
    return {k: v.get(lang) or v["en"] for k, v in TITLES.items()}
