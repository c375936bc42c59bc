from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from collectors.http import HttpClient
from core.domain import Campaign

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


class FakeTime:
    """Injectable sleep + clock: sleeping advances the clock, nothing really waits."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)

    def clock(self) -> float:
        return self.now


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def make_http(fake_time):
    def _make(handler, **kw) -> HttpClient:
        kw.setdefault("host_delay", 0.0)
        return HttpClient(transport=httpx.MockTransport(handler), sleep=fake_time.sleep, clock=fake_time.clock, **kw)
    return _make


@pytest.fixture
def campaigns() -> list[Campaign]:
    return [
        Campaign(id="vaksin", name="Vaksin halal", keywords=["vaksin halal"], hashtags=["#VaksinHalal"]),
        Campaign(id="beras", name="Stok beras", keywords=["beras"], hashtags=["berasaman"], accounts=["@kompascom"]),
    ]
