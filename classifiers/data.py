"""Readers for the labelled sets in shared/data (see each folder's SOURCE.md), plus de-duplication helpers.

Nothing here copies data into the project: the files are read in place at train/evaluate time.
"""
from __future__ import annotations

import csv
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

_LOOSE_RE = re.compile(r"[\W_]+", re.UNICODE)


def loose_key(text: str) -> str:
    """Punctuation-, space- and case-insensitive key (the README's 'loose' matching)."""
    return _LOOSE_RE.sub("", unicodedata.normalize("NFKC", str(text)).lower())


def find_data_dir(start: Path | None = None) -> Path | None:
    """NW_DATA_ROOT, else the first ``shared/data`` found walking up from ``start`` (default: this file)."""
    env = os.environ.get("NW_DATA_ROOT")
    if env:
        p = Path(env)
        return p if p.is_dir() else None
    here = (start or Path(__file__)).resolve()
    for parent in [here, *here.parents]:
        for cand in (parent / "shared" / "data", parent / "data"):
            if (cand / "smsa").is_dir():
                return cand
    return None


@dataclass
class Split:
    dataset: str
    split: str
    texts: list[str]
    labels: list[str]
    lang: str = "id"

    def __len__(self) -> int:
        return len(self.texts)


def _smsa(d: Path, split: str) -> Split:
    df = pd.read_csv(d / "smsa" / f"{split}_preprocess.tsv", sep="\t", header=None, names=["text", "label"],
                     quoting=csv.QUOTE_NONE, dtype=str, keep_default_na=False)
    return Split("smsa", split, df.text.tolist(), df.label.tolist())


def _nusax(d: Path, lang: str, split: str) -> Split:
    name = "indonesian" if lang == "id" else "english"
    df = pd.read_csv(d / "nusax_senti" / f"{name}_{split}.csv", dtype=str, keep_default_na=False)
    return Split(f"nusax_{'ind' if lang == 'id' else 'eng'}", split, df.text.tolist(), df.label.tolist(), lang)


def _indolem(d: Path, split: str) -> Split:
    fname = {"train": "train0.csv", "valid": "dev0.csv", "test": "test0.csv"}[split]
    df = pd.read_csv(d / "indolem_sentiment" / fname, dtype=str, keep_default_na=False)
    labels = ["positive" if s.strip() == "1" else "negative" for s in df.sentiment]
    return Split("indolem", split, df.sentence.tolist(), labels)


def sentiment_split(d: Path, dataset: str, split: str) -> Split:
    if dataset == "smsa":
        return _smsa(d, split)
    if dataset == "nusax_ind":
        return _nusax(d, "id", split)
    if dataset == "nusax_eng":
        return _nusax(d, "en", split)
    if dataset == "indolem":
        return _indolem(d, split)
    raise KeyError(dataset)


SENTIMENT_SETS = ("smsa", "nusax_ind", "nusax_eng", "indolem")


def dedup_against(split: Split, banned: set[str]) -> Split:
    """Drop rows whose loose key is in ``banned`` and repeated rows within the split."""
    seen: set[str] = set()
    texts, labels = [], []
    for t, y in zip(split.texts, split.labels):
        k = loose_key(t)
        if not k or k in banned or k in seen:
            continue
        seen.add(k)
        texts.append(t)
        labels.append(y)
    return Split(split.dataset, split.split, texts, labels, split.lang)


def hoax_tweets(d: Path) -> pd.DataFrame:
    """IDNHoaxCorpus without '?' rows and empty tweets; ``group`` is the claim keyword (topic fallback)."""
    df = pd.read_csv(d / "idn_hoax_tweets" / "datasetUMPOHoax.csv", dtype=str, keep_default_na=False)
    df = df[(df.label.isin(["hoax", "valid"])) & (df.tweet.str.strip() != "")].copy()
    kw = df.keyword.str.strip().str.lower()
    tp = df.topik.str.strip().str.lower()
    df["group"] = "tw:" + kw.where(kw != "", tp)
    df["y"] = (df.label == "hoax").astype(int)
    df["text"] = df.tweet
    df["key"] = df.text.map(loose_key)
    df = df.drop_duplicates("key")
    return df[["text", "y", "group"]].reset_index(drop=True)


# The 600-article set has 12 topics whose ids are only in the (uncopied) xlsx sheets. Recover them from
# keywords of the published topic list; articles matching none go to one 'other' group.
NEWS_TOPICS: dict[str, tuple[str, ...]] = {
    "lele": ("lele",),
    "iphone": ("iphone",),
    "reog": ("reog",),
    "aksi212": ("212", "istiqlal"),
    "gaji_presiden": ("gaji presiden", "gaji jokowi", "gaji seorang presiden"),
    "facebook": ("facebook ditutup", "facebook akan ditutup", "menutup facebook", "facebook"),
}


def news_topic(text: str) -> str:
    low = text.lower()
    for topic, kws in NEWS_TOPICS.items():
        if any(k in low for k in kws):
            return topic
    return "other"


def hoax_news(d: Path) -> pd.DataFrame:
    df = pd.read_csv(d / "id_hoax_news" / "600_news_with_valid_hoax_label.csv", sep=";", encoding="cp1252",
                     dtype=str, keep_default_na=False)
    df["text"] = df.berita
    df["y"] = (df.tagging.str.strip().str.lower() == "hoax").astype(int)
    df["key"] = df.text.map(loose_key)
    df = df.drop_duplicates("key")
    df["group"] = "news:" + df.text.map(news_topic)
    return df[["text", "y", "group"]].reset_index(drop=True)
