"""Helpers shared by the network-device parser tests: corpus captures, expected values, lookups."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.collector.drivers.base import Reading
from tests.conftest import CORPUS

NTC = CORPUS / "ntc-templates"

# A check compares one capture's readings with the records of the .yml beside it.
Check = Callable[[list[Reading], list[dict[str, Any]]], None]
# What each command folder of the corpus is parsed with and checked by.
Cases = Mapping[str, tuple[Callable[[str], list[Reading]], Check]]


def raw_files(platform: str) -> list[Path]:
    """Every .raw capture of one platform (empty when the corpus is absent)."""
    return sorted((NTC / platform).glob("*/*.raw")) if NTC.is_dir() else []


def captures(platform: str, cases: Cases) -> list[Any]:
    """The captures of one platform that have a case, as pytest params named by file."""
    return [pytest.param(raw, id=raw.name) for raw in raw_files(platform)
            if raw.parent.name in cases]


def check_capture(raw: Path, cases: Cases, problems: list[str] | None = None) -> None:
    """Parse a capture with its case's parser; expect exactly `problems`, then run the check."""
    parser, check = cases[raw.parent.name]
    readings = parser(read(raw))
    assert getattr(readings, "problems", []) == (problems or [])
    check(readings, expected_records(raw))


def expected_peer_as(asn: str) -> str:
    """The `peer.as` a parser should give: asdot 'a.b' is a * 65536 + b (RFC 5396)."""
    high, _, low = asn.partition(".")
    return str(int(high) * 65536 + int(low)) if low else high


def expected_records(raw: Path) -> list[dict[str, Any]]:
    """The `parsed_sample` records of the .yml beside a .raw capture."""
    with raw.with_suffix(".yml").open(encoding="utf-8") as handle:
        return list(yaml.safe_load(handle)["parsed_sample"])


def values(readings: Iterable[Reading], metric: str) -> dict[frozenset[tuple[str, str]], float]:
    """{frozenset(attributes): value} of one metric; fails on a duplicate series."""
    found: dict[frozenset[tuple[str, str]], float] = {}
    for reading in readings:
        if reading.metric == metric:
            key = frozenset(reading.attributes.items())
            assert key not in found, f"duplicate series {metric} {dict(reading.attributes)}"
            found[key] = reading.value
    return found


def key(**attributes: str) -> frozenset[tuple[str, str]]:
    """The lookup key `values` uses for these attributes."""
    return frozenset(attributes.items())


def one(readings: Iterable[Reading], metric: str, attributes: Mapping[str, str]) -> float:
    """The value of exactly one reading with this metric and these attributes."""
    matches = [
        r.value for r in readings if r.metric == metric and dict(r.attributes) == dict(attributes)
    ]
    assert len(matches) == 1, f"{metric} {dict(attributes)}: {len(matches)} readings"
    return matches[0]


def current_state(readings: Iterable[Reading], sensor: str) -> str:
    """The hw.status state whose reading is 1 for this sensor ('' when none is)."""
    states = [
        r.attributes["state"]
        for r in readings
        if r.metric == "hw.status" and r.attributes["sensor"] == sensor and r.value == 1.0
    ]
    assert len(states) <= 1
    return states[0] if states else ""


def read(raw: Path) -> str:
    """A capture's text exactly as stored (newline translation off: CRLF stays)."""
    with raw.open(encoding="utf-8", newline="") as handle:
        return handle.read()
