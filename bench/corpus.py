"""Synthetic-volume corpora built from real texts (../shared/data), with varied dates, campaigns and platforms.

The texts are real labelled public data (never copied into the repo: read from the data root at run time);
only the metadata around them is generated, deterministically from a seed.
"""
from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

from classifiers.data import find_data_dir
from core.domain import Engagement, Post

PLATFORMS = ["telegram", "mastodon", "bluesky", "youtube", "rss", "twitter"]
CAMPAIGNS = ["asean", "g20", "pemilu", "vaksin", "bbm"]


def data_root() -> Path:
    root = find_data_dir()  # the one finder (NW_DATA_ROOT, else walking up to shared/data)
    if root is None:
        raise FileNotFoundError("shared/data not found; set NW_DATA_ROOT")
    return root


def real_texts() -> list[str]:
    root = data_root()
    texts: list[str] = []
    with open(root / "smsa" / "train_preprocess.tsv", encoding="utf-8") as fh:
        texts += [line.split("\t")[0] for line in fh if "\t" in line]
    with open(root / "idn_hoax_tweets" / "datasetUMPOHoax.csv", encoding="utf-8", newline="") as fh:
        texts += [row["tweet"] for row in csv.DictReader(fh) if row["tweet"].strip()]
    with open(root / "indolem_sentiment" / "train0.csv", encoding="utf-8", newline="") as fh:
        texts += [row["sentence"] for row in csv.DictReader(fh) if row["sentence"].strip()]
    return [t for t in texts if t.strip()]


def generate(n: int, seed: int = 1, days: int = 60, skip: int = 0) -> Iterator[Post]:
    """Posts `skip`..n-1 (the draws of the skipped ones are still made, so post i is always the same)."""
    rng = random.Random(seed)
    texts = real_texts()
    start = datetime(2026, 9, 1, tzinfo=timezone.utc)
    for i in range(n):
        platform, author, seconds = rng.choice(PLATFORMS), f"acct{rng.randrange(5000)}", rng.randrange(days * 86400)
        campaign, likes, reposts = rng.choice(CAMPAIGNS), rng.randrange(500), rng.randrange(50)
        if i >= skip:
            yield Post(source="bench", native_id=str(i), platform=platform, author=author, text=texts[i % len(texts)],
                       created_at=start + timedelta(seconds=seconds), campaigns=[campaign],
                       engagement=Engagement(likes=likes, reposts=reposts))
