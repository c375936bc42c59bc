"""Synthetic-volume corpora built from real texts (../shared/data), with varied dates, campaigns and platforms.

The texts are real labelled public data (never copied into the repo: read from the data root at run time);
only the metadata around them is generated, deterministically from a seed.
"""
from __future__ import annotations

import csv
import os
import random
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

from service.domain import Engagement, Post

PLATFORMS = ["telegram", "mastodon", "bluesky", "youtube", "rss", "twitter"]
CAMPAIGNS = ["asean", "g20", "pemilu", "vaksin", "bbm"]


def data_root() -> Path:
    env = os.environ.get("NW_DATA_ROOT")
    if env:
        return Path(env)
    for parent in Path(__file__).resolve().parents:
        if (parent / "shared" / "data").is_dir():
            return parent / "shared" / "data"
        if (parent.parent / "shared" / "data").is_dir():
            return parent.parent / "shared" / "data"
    raise FileNotFoundError("shared/data not found; set NW_DATA_ROOT")


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


def generate(n: int, seed: int = 1, days: int = 60) -> Iterator[Post]:
    rng = random.Random(seed)
    texts = real_texts()
    start = datetime(2026, 9, 1, tzinfo=timezone.utc)
    for i in range(n):
        yield Post(
            source="bench", native_id=str(i), platform=rng.choice(PLATFORMS), author=f"acct{rng.randrange(5000)}",
            text=texts[i % len(texts)], created_at=start + timedelta(seconds=rng.randrange(days * 86400)),
            campaigns=[rng.choice(CAMPAIGNS)],
            engagement=Engagement(likes=rng.randrange(500), reposts=rng.randrange(50)),
        )
