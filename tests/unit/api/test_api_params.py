"""Parsing of /api/v1/metrics parameters: attribute filters and '+' offsets lost in transit."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError

from services.api.routes.metrics import AttrFilter, Timestamp, parse_attr_filters

pytestmark = pytest.mark.unit


def test_parse_attr_filters_builds_dict_when_keys_distinct() -> None:
    raw = ["interface:eth0", "direction:receive", "mount:/var:log"]
    assert parse_attr_filters(raw) == {
        "interface": "eth0", "direction": "receive", "mount": "/var:log",
    }


def test_parse_attr_filters_accepts_repeat_when_value_same() -> None:
    assert parse_attr_filters(["interface:eth0", "interface:eth0"]) == {"interface": "eth0"}


def test_parse_attr_filters_refuses_key_when_values_differ() -> None:
    with pytest.raises(RequestValidationError):
        parse_attr_filters(["interface:eth0", "interface:eth1"])


@pytest.mark.parametrize("raw", ["eth0", ":eth0", ""])
def test_attr_filter_refuses_value_when_not_key_colon_value(raw: str) -> None:
    with pytest.raises(ValidationError, match="must look like <key>:<value>"):
        TypeAdapter(AttrFilter).validate_python(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-03-01T12:00:00Z", datetime(2026, 3, 1, 12, tzinfo=UTC)),
        # '+02:00' whose '+' became a space in the query string
        ("2026-03-01T14:00:00 02:00", datetime(2026, 3, 1, 12, tzinfo=UTC)),
        ("2026-03-01T14:00:00.5 0200", datetime(2026, 3, 1, 12, 0, 0, 500_000, tzinfo=UTC)),
        ("2026-03-01T07:00:00-05:00", datetime(2026, 3, 1, 12, tzinfo=UTC)),
    ],
)
def test_timestamp_reads_offset_when_given(raw: str, expected: datetime) -> None:
    assert TypeAdapter(Timestamp).validate_python(raw) == expected


def test_timestamp_refuses_value_when_naive() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        TypeAdapter(Timestamp).validate_python("2026-03-01T12:00:00")
