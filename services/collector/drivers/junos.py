"""The Juniper Junos driver: `| display json` first, text as fallback.

Uptime comes from `show chassis routing-engine`, which the cpu group reads anyway (it
holds CPU, memory and uptime per routing engine), so `show system uptime` is not polled.
"""

from __future__ import annotations

from services.collector.drivers.network import CliDialect, NetworkDriver
from services.collector.parsers.registry import TEXT_COMMANDS, preferred_commands
from shared.inventory import Platform

_NOT_POLLED = frozenset({"show system uptime", "show system uptime | display json"})


class JunosDriver(NetworkDriver):
    """Polls CPU, memory and uptime, interfaces, environment and BGP of a Junos device."""

    platform = Platform.JUNIPER_JUNOS
    dialect = CliDialect(
        setup=("set cli screen-length 0", "set cli screen-width 0"),
        json_suffix=" | display json",
        error_markers=("syntax error", "unknown command", "error:"),
    )
    text_commands = tuple(
        s for s in TEXT_COMMANDS[Platform.JUNIPER_JUNOS] if s.command not in _NOT_POLLED
    )
    commands = tuple(
        s for s in preferred_commands(Platform.JUNIPER_JUNOS) if s.command not in _NOT_POLLED
    )
