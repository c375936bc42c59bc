"""Language codes: every source and import path stores ISO 639-1 codes (`id`, `en`), or None for unknown.

Platforms hand us deprecated codes (X and Java locales still say `in` for Indonesian, `iw` for Hebrew), "no
linguistic content" markers (`und`, `zxx`, X's private-use `qme`/`qht`/...), regional tags (`pt-BR`) and language
names (GDELT, Meltwater, Brandwatch). The classifiers key their models on the ISO code, so a tweet tagged `in` would
never meet the Indonesian hoax model; and None (unknown) is what makes the pipeline run language identification.
"""
from __future__ import annotations

import re
from typing import Any

DEPRECATED = {"in": "id", "iw": "he", "ji": "yi", "jw": "jv", "mo": "ro", "sh": "sr"}
UNKNOWN = {"und", "zxx", "mul", "mis", "xx", "un", "unknown", "none", "null", "n/a", "other"}
# ISO 639-2/3 codes seen in exports for the languages we monitor most
THREE_LETTER = {"ind": "id", "eng": "en", "msa": "ms", "may": "ms", "zsm": "ms", "jav": "jv", "sun": "su",
                "tgl": "tl", "fil": "tl", "zho": "zh", "chi": "zh", "ara": "ar", "spa": "es", "fra": "fr",
                "fre": "fr", "deu": "de", "ger": "de", "por": "pt", "rus": "ru", "jpn": "ja", "kor": "ko",
                "tha": "th", "vie": "vi", "hin": "hi", "nld": "nl", "dut": "nl", "ita": "it", "tur": "tr"}
# Language names as GDELT DOC 2.0 reports them (its 65 supported source languages, LOOKUP-LANGUAGES) plus the
# names other export tools use for the same languages.
NAMES = {
    "afrikaans": "af", "albanian": "sq", "arabic": "ar", "armenian": "hy", "azerbaijani": "az", "bengali": "bn",
    "bosnian": "bs", "bulgarian": "bg", "catalan": "ca", "chinese": "zh", "croatian": "hr", "czech": "cs",
    "danish": "da", "dutch": "nl", "english": "en", "estonian": "et", "finnish": "fi", "french": "fr",
    "galician": "gl", "georgian": "ka", "german": "de", "greek": "el", "gujarati": "gu", "hebrew": "he",
    "hindi": "hi", "hungarian": "hu", "icelandic": "is", "indonesian": "id", "italian": "it", "japanese": "ja",
    "kannada": "kn", "kazakh": "kk", "korean": "ko", "latvian": "lv", "lithuanian": "lt", "macedonian": "mk",
    "malay": "ms", "malayalam": "ml", "marathi": "mr", "mongolian": "mn", "nepali": "ne", "norwegian": "no",
    "persian": "fa", "polish": "pl", "portuguese": "pt", "punjabi": "pa", "romanian": "ro", "russian": "ru",
    "serbian": "sr", "sinhalese": "si", "slovak": "sk", "slovenian": "sl", "somali": "so", "spanish": "es",
    "swahili": "sw", "swedish": "sv", "tamil": "ta", "telugu": "te", "thai": "th", "tibetan": "bo",
    "turkish": "tr", "ukrainian": "uk", "urdu": "ur", "vietnamese": "vi",
    # spellings other tools use
    "javanese": "jv", "sundanese": "su", "tagalog": "tl", "filipino": "tl", "sinhala": "si", "farsi": "fa",
    "bahasa indonesia": "id", "bahasa melayu": "ms", "chinese (simplified)": "zh", "chinese (traditional)": "zh",
    "norwegian bokmal": "no", "norwegian bokmål": "no", "slovene": "sl", "burmese": "my", "khmer": "km", "lao": "lo",
}
_CODE = re.compile(r"^[a-z]{2,3}$")
_PRIVATE_USE = re.compile(r"^q[a-t][a-z]$")  # ISO 639 qaa-qtz; X uses qam, qct, qht, qme, qst for "no language"


def normalize_lang(value: Any) -> str | None:
    """'in' → 'id', 'pt-BR' → 'pt', 'Indonesian' → 'id', 'und'/'zxx'/'qme'/'' → None (unknown: run language ID)."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower().replace("_", "-")
    if text in NAMES:
        return NAMES[text]
    code = text.split("-")[0]
    if code in UNKNOWN or _PRIVATE_USE.match(code) or not _CODE.match(code):
        return None
    return DEPRECATED.get(code) or THREE_LETTER.get(code) or code  # other ISO 639-3 codes (min, ace) stay
