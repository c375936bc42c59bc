"""The quota arithmetic every quota-tracked collector relies on (fast: a fake clock, no HTTP)."""
from datetime import datetime, timezone

import pytest

from collectors.quota import UTC_DAY, Limit, Quota, QuotaExhausted
from tests.factories import source_state

T0 = datetime(2026, 12, 1, 23, 0, tzinfo=timezone.utc).timestamp()


class Clock:
    now = T0

    def __call__(self):
        return self.now


def test_utc_day_limit_resets_at_midnight_and_names_when():
    clock = Clock()
    q = Quota({"requests": Limit(2, UTC_DAY)}, clock=clock)
    q.spend("requests")
    q.spend("requests")
    with pytest.raises(QuotaExhausted) as refused:
        q.spend("requests")
    midnight = datetime(2026, 12, 2, tzinfo=timezone.utc).timestamp()
    assert refused.value.retry_at == midnight and "next possible at 2026-12-02T00:00:00Z" in str(refused.value)
    assert q.used("requests") == 2  # the refused one was not counted
    clock.now = midnight
    q.spend("requests")
    assert q.used("requests") == 1


def test_rolling_window_frees_when_the_oldest_call_leaves_it():
    clock = Clock()
    q = Quota({"calls": Limit(3, 3600)}, clock=clock)
    for step in (0, 600, 1200):
        clock.now = T0 + step
        q.spend("calls")
    with pytest.raises(QuotaExhausted) as refused:
        q.spend("calls")
    assert refused.value.retry_at == T0 + 3600
    clock.now = T0 + 3600
    q.spend("calls")  # the first call left the hour
    assert q.used("calls") == 3


def test_distinct_keys_count_once_within_the_window():
    clock = Clock()
    q = Quota({"hashtags": Limit(2, 7 * 86400, distinct=True)}, clock=clock)
    for tag in ("vaksin", "beras", "vaksin", "beras"):
        q.spend("hashtags", key=tag)
    assert q.used("hashtags") == 2 and q.holds("hashtags", "vaksin")
    with pytest.raises(QuotaExhausted):
        q.spend("hashtags", key="bbm")
    clock.now = T0 + 7 * 86400
    q.spend("hashtags", key="bbm")
    assert q.used("hashtags") == 1


def test_spending_is_saved_at_once_and_survives_a_restart(tmp_path):
    clock = Clock()
    state = source_state(tmp_path)
    state.ensure("tiktok:research", "tiktok")
    first = Quota({"requests": Limit(2, UTC_DAY)}, clock=clock)
    first.bind(state.quota("tiktok:research"), lambda spent: state.save_quota("tiktok:research", spent))
    first.spend("requests")
    first.spend("requests")
    state.close()
    state = source_state(tmp_path)  # a new process
    again = Quota({"requests": Limit(2, UTC_DAY)}, clock=clock)
    again.bind(state.quota("tiktok:research"), None)
    with pytest.raises(QuotaExhausted):
        again.spend("requests")
    assert state.get("tiktok:research")["quota"]["usage"] == {"requests": {"used": 2, "limit": 2, "per": "utc-day"}}
