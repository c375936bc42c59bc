import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _data_dir() -> Path | None:
    env = os.environ.get("NW_DATA_ROOT")
    if env:
        return Path(env) if (Path(env) / "smsa").is_dir() else None
    for parent in [REPO, *REPO.parents]:
        cand = parent / "shared" / "data"
        if (cand / "smsa").is_dir():
            return cand
    return None


@pytest.fixture(scope="session")
def data_dir() -> Path:
    d = _data_dir()
    if d is None:
        reason = "labelled data not found: set NW_DATA_ROOT or place shared/data above the repo"
        if os.environ.get("NW_REQUIRE_DATA") == "1":  # CI: metric floors must run, never skip
            pytest.fail(reason)
        pytest.skip(reason)
    return d


@pytest.fixture(scope="session")
def chain():
    import classifiers

    return classifiers.load_default(claims=[
        {"id": "tbh-1", "title": "[HOAKS] Vaksin COVID-19 mengandung microchip",
         "text": "Vaksin COVID-19 mengandung microchip untuk melacak keberadaan warga",
         "url": "https://example.org/hoaks-microchip", "verdict": "hoax"},
        {"id": "tbh-2", "title": "[SALAH] Air garam bisa jadi sumber listrik rumah",
         "text": "Air garam dapat menggantikan listrik PLN untuk menyalakan lampu rumah",
         "url": "https://example.org/air-garam", "verdict": "false"},
    ])
