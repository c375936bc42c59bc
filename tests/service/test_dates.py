"""The one date parser (core/dates.py): collectors, file imports and the Post model read dates the same way, and a
date outside 1970..2099 is a ValueError naming it (never an OverflowError/OSError, never a silent None in one place
and a date in another)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from collectors.base import parse_dt
from core.dates import parse_datetime
from core.domain import Post
from service.ingest import to_post

UTC = timezone.utc
NOV_14 = datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)


@pytest.mark.parametrize("value", [1700000000, 1700000000.0, "1700000000", 1700000000000, "1700000000000",
                                   "2023-11-14T22:13:20Z", "2023-11-15T05:13:20+07:00", "Tue Nov 14 22:13:20 +0000 2023",
                                   datetime(2023, 11, 14, 22, 13, 20)])
def test_collectors_imports_and_the_model_agree(value):
    """Epoch seconds below 1e11, milliseconds from 1e11 on, ISO 8601, Twitter v1 text: one rule everywhere (the
    collectors' parse_dt used to return None on a millisecond epoch that the importer accepted)."""
    assert parse_datetime(value) == NOV_14
    assert parse_dt(value) == NOV_14
    assert Post(source="s", native_id="1", text="t", created_at=value).created_at == NOV_14
    assert to_post({"text": "t", "date": value}, "import:f").created_at == NOV_14


BAD = [  # (value, words the reason must contain)
    ("0001-01-01T00:00:00+01:00", "out of range"),  # overflows when converted to UTC
    ("9999-12-31T23:59:59-01:00", "out of range"),  # idem, the other end
    ("1969-12-31T23:59:59Z", "out of range"),
    ("2100-01-01T00:00:00Z", "out of range"),
    (datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))), "out of range"),
    (1e20, "out of range"),
    (5e9, "out of range"),  # too late as seconds, too early as milliseconds: rejected, not guessed
    (-1, "out of range"),
    (10**400, "out of range"),  # an int beyond float range (OverflowError before)
    (float("inf"), "not a finite number"),
    (float("nan"), "not a finite number"),
    ("kemarin sore", "unreadable"),
    (True, "unreadable"),
    ([2024], "unreadable"),
]


@pytest.mark.parametrize("value,words", BAD)
def test_out_of_range_and_unreadable_dates_are_value_errors_with_a_reason(value, words):
    with pytest.raises(ValueError, match=words):
        parse_datetime(value)
    assert parse_dt(value) is None  # collectors turn None into a rejected item with a reason (build_post)


@pytest.mark.parametrize("field", ["created_at", "collected_at", "first_seen_at"])
@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", 1e20])
def test_post_rejects_out_of_range_datetimes_naming_the_field(field, value):
    fields = {"source": "s", "native_id": "1", "text": "t", "created_at": "2024-01-01T00:00:00Z", field: value}
    with pytest.raises(ValidationError) as info:  # a ValidationError (422 in the API), not an OverflowError (500)
        Post(**fields)
    (error,) = info.value.errors()
    assert error["loc"] == (field,) and f"{field} " in error["msg"] and "out of range" in error["msg"] and "(1970-01-01 .. 2099-12-31" in error["msg"]


def test_range_edges_are_inclusive_then_exclusive():
    assert parse_datetime("1970-01-01T00:00:00Z") == datetime(1970, 1, 1, tzinfo=UTC)
    assert parse_datetime("2099-12-31T23:59:59.999999Z").year == 2099
    assert parse_datetime("2100-01-01T00:59:59+01:00") == datetime(2099, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert parse_datetime("1970-01-01T07:00:00+07:00") == datetime(1970, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_datetime("1970-01-01T06:59:59+07:00")


def test_a_numeric_rate_limit_reset_stays_seconds_to_wait_not_an_epoch():
    """The one parser reads "60" as an epoch (1970-01-01T00:01Z); X-RateLimit-Reset "60" means 60 s from now."""
    from collectors.http import rate_limit_wait

    assert rate_limit_wait({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "60"}) == 60.0
    now = datetime(2022, 12, 1, 20, 59, tzinfo=UTC)
    assert rate_limit_wait({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2022-12-01T21:00:00Z"}, now=now) == 60.0
