"""Every reading the network-device parsers produce is a catalog metric, shaped as listed.

Also checks the command tables drivers take from `registry`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import pytest
from parser_expect import raw_files, read
from test_parsers_json import EOS_INTERFACES, JUNOS_INTERFACES
from test_parsers_uncaptured_commands import (
    JUNOS_ENVIRONMENT,
    JUNOS_INTERFACES_EXTENSIVE,
    JUNOS_ROUTING_ENGINE,
    NXOS_SYSTEM_RESOURCES,
)

from services.collector.drivers.base import Reading
from services.collector.parsers import (
    arista_eos,
    arista_eos_json,
    cisco_ios,
    cisco_nxos,
    juniper_junos,
    juniper_junos_json,
    registry,
)
from shared.catalog import CATALOG, MetricKind
from shared.inventory import Platform

pytestmark = pytest.mark.unit

MODULES = {"cisco_ios": cisco_ios, "cisco_nxos": cisco_nxos, "arista_eos": arista_eos,
           "juniper_junos": juniper_junos}
FOLDER_ALIASES = {"show ip bgp summary vrf": "show ip bgp summary vrf all"}
GROUPS = {"cpu", "memory", "interfaces", "environment", "system", "bgp"}


def corpus_readings() -> list[tuple[str, Reading]]:
    """(capture name, reading) for every capture of a command some parser reads."""
    found = []
    for platform, module in MODULES.items():
        parsers: dict[str, Callable[[str], list[Reading]]] = module.PARSERS
        for raw in raw_files(platform):
            command = raw.parent.name.replace("_", " ")
            parser = parsers.get(FOLDER_ALIASES.get(command, command))
            if parser is not None:
                found += [(raw.name, reading) for reading in parser(read(raw))]
    return found


def hand_written_readings() -> list[tuple[str, Reading]]:
    samples = [
        (cisco_nxos.parse_show_system_resources, NXOS_SYSTEM_RESOURCES),
        (juniper_junos.parse_show_chassis_routing_engine, JUNOS_ROUTING_ENGINE),
        (juniper_junos.parse_show_chassis_environment, JUNOS_ENVIRONMENT),
        (juniper_junos.parse_show_interfaces, JUNOS_INTERFACES_EXTENSIVE),
        (arista_eos_json.parse_show_interfaces_json, json.dumps(EOS_INTERFACES)),
        (juniper_junos_json.parse_show_interfaces_json, json.dumps(JUNOS_INTERFACES)),
    ]
    return [("hand-written", r) for parser, text in samples for r in parser(text)]


def test_parser_readings_follow_catalog_when_parsing_all_outputs(corpus: Path) -> None:
    readings = corpus_readings() + hand_written_readings()
    assert len(readings) > 1000
    for source, reading in readings:
        spec = CATALOG.get(reading.metric)
        assert spec is not None, f"{source}: {reading.metric} is not in shared/catalog.py"
        # "node" appears only on output from several routing engines or cluster nodes.
        assert set(reading.attributes) - {"node"} == set(spec.attributes), (source, reading)
        assert (reading.counter_bits == 64) == (spec.kind is MetricKind.RATE), (source, reading)
        assert math.isfinite(reading.value), (source, reading)


@pytest.mark.parametrize("platform", list(registry.TEXT_COMMANDS), ids=str)
def test_registry_tables_are_consistent_when_driver_reads_them(platform: Platform) -> None:
    text = registry.TEXT_COMMANDS[platform]
    structured = registry.JSON_COMMANDS.get(platform, ())
    for table in (text, structured):
        assert {spec.group for spec in table} <= GROUPS
        assert len({spec.command for spec in table}) == len(table)
    assert all(spec.command.endswith(("| json", "| display json")) for spec in structured)
    module = MODULES[platform.value]
    assert all(module.PARSERS[spec.command] is spec.parser for spec in text)
    preferred = registry.preferred_commands(platform)
    assert {spec.group for spec in preferred} == {spec.group for spec in text}
    assert registry.preferred_commands(platform, json=False) == text
