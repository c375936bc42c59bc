from __future__ import annotations

import pytest

from service.alerts.config import AlertSettings
from service.alerts.engine import AlertEngine
from service.alerts.store import AlertStore
from core.domain import Campaign

CAMPAIGN = Campaign(id="asean", name="KTT ASEAN", keywords=["asean"],
                    key_messages=["KTT ASEAN berjalan aman dan terbuka untuk publik."])


@pytest.fixture()
def make_engine(tmp_path):
    engines = []

    def build(store, settings: AlertSettings | None = None, path=None, start: bool = False) -> AlertEngine:
        if store.get_campaign(CAMPAIGN.id) is None:
            store.put_campaign(CAMPAIGN)
        engine = AlertEngine(store, AlertStore(path or tmp_path / "alerts.db"), settings or AlertSettings())
        engines.append(engine)
        return engine.start() if start else engine

    yield build
    for e in engines:
        e.close()
