"""The real system for the benchmarks: `AppContext.build` (store, the shipped classifier chain, the alert engine
with its rules as the pipeline's listener), configured through the same YAML file a deployment uses.

Campaigns are the corpus's (bench/corpus.py); the rules are one of each kind per campaign, with keyword phrases
that occur in the real texts, so alerts really fire while posts are ingested.
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import yaml

from bench.corpus import CAMPAIGNS
from service.context import AppContext
from service.config import Settings

KEYWORDS = {"asean": ["harga", "pelayanan"], "g20": ["presiden", "makanan"], "pemilu": ["pemilu", "jokowi"],
            "vaksin": ["vaksin", "covid"], "bbm": ["bbm", "kecewa"]}
RESULTS = Path(__file__).parent / "results"


def rules() -> list[dict]:
    out = []
    for c in CAMPAIGNS:
        out += [
            {"id": f"{c}-kw", "name": f"{c} keywords", "campaign": c, "query": {"any": KEYWORDS[c]}},
            {"id": f"{c}-spike", "name": f"{c} spike", "kind": "spike", "campaign": c},
            {"id": f"{c}-neg", "name": f"{c} negative share", "kind": "negative_share", "campaign": c},
            {"id": f"{c}-hoax", "name": f"{c} hoax match", "kind": "hoax_match", "campaign": c},
            {"id": f"{c}-coord", "name": f"{c} coordinated", "kind": "coordinated", "campaign": c},
        ]
    return out


def config(data_dir: Path, *, extra_rules: list[dict] = (), alerts: dict | None = None) -> Path:
    """Write the project YAML (campaigns + rules [+ alerts section]) into `data_dir`; returns its path."""
    doc = {"campaigns": [{"id": c, "name": c.upper(), "keywords": KEYWORDS[c]} for c in CAMPAIGNS],
           "rules": rules() + list(extra_rules)}
    if alerts:
        doc["alerts"] = alerts
    path = Path(data_dir) / "narrawatch.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def context(data_dir: Path, *, store: str = "sqlite", es_url: str | None = None, es_index: str = "narrawatch",
            **config_kw) -> AppContext:
    settings = Settings(data_dir=Path(data_dir), config_file=config(data_dir, **config_kw), store=store,
                        es_url=es_url or "http://127.0.0.1:9200", es_index=es_index)
    return AppContext.build(settings)


def write_result(name: str, doc: dict) -> Path:
    """bench/results/<name>.json with when/where it was measured (bench/run.sh publishes them to bench/published/)."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=Path(__file__).parent, timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        commit = None
    meta = {"measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "commit": commit,
            "cpus": os.cpu_count(), "load_avg_1m_at_end": round(os.getloadavg()[0], 2),
            "python": platform.python_version()}
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{name}.json"
    out.write_text(json.dumps({**doc, "meta": meta}, indent=2), encoding="utf-8")
    return out
