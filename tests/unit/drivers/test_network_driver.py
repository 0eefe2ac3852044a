"""Network drivers: allow-lists, JSON refusal and fallback, 32-bit counter learning."""

from __future__ import annotations

import pytest

from services.collector.drivers.base import Reading
from services.collector.drivers.eos import EosDriver
from services.collector.drivers.ios import IosDriver
from services.collector.drivers.junos import JunosDriver
from services.collector.drivers.network import CounterWidths
from services.collector.drivers.nxos import NxosDriver
from services.collector.drivers.registry import DRIVERS
from services.collector.parsers.common import ParseResult
from services.collector.rates import CounterRates
from shared.inventory import Platform

pytestmark = pytest.mark.unit

EOS_REFUSAL = "% Invalid input (at token 2: 'json')\n"
JUNOS_REFUSAL = "                             ^\nsyntax error.\n"


def test_registry_has_a_driver_for_every_platform() -> None:
    assert set(DRIVERS) == set(Platform)


@pytest.mark.parametrize("driver", [IosDriver, NxosDriver, EosDriver, JunosDriver])
def test_allow_list_is_polled_commands_fallbacks_and_setup_only(driver: type[IosDriver]) -> None:
    allowed = driver.allowed_commands()
    assert set(driver.dialect.setup) <= allowed
    assert all(c.startswith("show ") for c in allowed - set(driver.dialect.setup))
    assert {s.command for s in driver.commands} <= allowed
    assert not any("configure" in c or "clear" in c or "reload" in c for c in allowed)


def test_eos_driver_sends_text_after_device_refuses_json() -> None:
    driver = EosDriver()
    assert driver.to_send("show version | json") == "show version | json"
    assert driver.structured_refused("show version | json", EOS_REFUSAL) == "show version"
    assert driver.to_send("show version | json") == "show version"
    assert driver.to_send("show interfaces | json") == "show interfaces | json"  # per command


def test_junos_driver_recognises_syntax_error_as_json_refusal() -> None:
    driver = JunosDriver()
    command = "show bgp summary | display json"
    assert driver.structured_refused(command, JUNOS_REFUSAL) == "show bgp summary"


def test_driver_keeps_json_when_output_is_data() -> None:
    driver = NxosDriver()
    assert driver.structured_refused("show version | json", '{"kern_uptm_days": 1}') is None
    assert driver.structured_refused("show version", EOS_REFUSAL) is None  # not structured


def test_driver_parses_fallback_output_with_text_parser() -> None:
    driver = EosDriver()
    [spec] = [s for s in driver.commands if s.command == "show version | json"]
    driver.structured_refused(spec.command, EOS_REFUSAL)
    text = (
        "Arista DCS-7050SX3-48YC8\n"
        "Software image version: 4.28.3M\n"
        "Uptime: 2 days, 3 hours and 4 minutes\n"
        "Total memory: 8098984 kB\n"
        "Free memory: 5962716 kB\n"
    )
    readings = {r.metric: r.value for r in driver.parse(spec, text)}
    assert readings["system.uptime"] == 2 * 86400 + 3 * 3600 + 4 * 60
    assert readings["system.memory.limit"] == 8098984 * 1024


def test_ios_driver_reports_broken_interface_block_and_keeps_the_others() -> None:
    driver = IosDriver()
    [spec] = [s for s in driver.commands if s.command == "show interfaces"]
    good = (
        "GigabitEthernet0/1 is up, line protocol is up \n"
        "  Hardware is Gigabit Ethernet, address is 0011.2233.4455 (bia 0011.2233.4455)\n"
        "  MTU 1500 bytes, BW 1000000 Kbit/sec, DLY 10 usec, \n"
        "  Full-duplex, 1000Mb/s, media type is RJ45\n"
        "     1200 packets input, 345678 bytes, 0 no buffer\n"
        "     0 input errors, 0 CRC, 0 frame, 0 overrun, 0 ignored\n"
        "     900 packets output, 123456 bytes, 0 underruns\n"
        "     0 output errors, 0 collisions, 0 interface resets\n"
    )
    broken = (  # header garbled on the wire: no 'line protocol' part
        "GigabitEthernet0/2 is up, line prot\x00\n"
        "     1500 packets input, 999999 bytes, 0 no buffer\n"
    )
    readings = driver.parse(spec, good + broken)
    assert isinstance(readings, ParseResult)
    assert {r.attributes.get("interface") for r in readings} == {"GigabitEthernet0/1"}
    assert any("GigabitEthernet0/2" in problem for problem in readings.problems)
    octets = [r for r in readings if r.metric == "system.network.io"]
    assert {r.value for r in octets} == {345678.0, 123456.0}


def counter(value: float) -> list[Reading]:
    return [Reading("system.network.io", value, {"interface": "Gi0/1"}, counter_bits=64)]


def test_counter_widths_mark_a_counter_that_wraps_at_2_32() -> None:
    widths = CounterWidths()
    assert widths.apply(counter(4_294_000_000))[0].counter_bits == 64
    assert widths.apply(counter(1_000_000))[0].counter_bits == 32
    assert widths.apply(counter(2_000_000))[0].counter_bits == 32  # stays learned
    assert widths.apply(counter(5_000_000_000))[0].counter_bits == 64  # proven wider


def test_counter_widths_leave_a_mid_range_drop_as_a_reset() -> None:
    widths = CounterWidths()
    widths.apply(counter(2_000_000_000))
    assert widths.apply(counter(10))[0].counter_bits == 64


def test_wrapped_32bit_counter_gives_hand_computed_rate_through_rates() -> None:
    widths, rates = CounterWidths(), CounterRates()
    rates.samples(widths.apply(counter(2**32 - 1_000)), at=100.0, uptime=500.0)
    [sample] = rates.samples(widths.apply(counter(2_000)), at=110.0, uptime=510.0)
    # 1,000 bytes to the top, 2,000 after it: 3,000 bytes in 10 s.
    assert sample.value == 300.0


def test_reboot_at_a_wrap_like_value_gives_no_rate() -> None:
    widths, rates = CounterWidths(), CounterRates()
    rates.samples(widths.apply(counter(2**32 - 1_000)), at=100.0, uptime=500.0)
    assert rates.samples(widths.apply(counter(2_000)), at=110.0, uptime=5.0) == []
