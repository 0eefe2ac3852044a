"""The Cisco IOS / IOS-XE driver: text output only (IOS has no `| json`), parsed with
ntc-templates where a template fits (see parsers/cisco_ios.py for the exceptions)."""

from __future__ import annotations

from services.collector.drivers.network import CliDialect, NetworkDriver
from services.collector.parsers.registry import TEXT_COMMANDS
from shared.inventory import Platform


class IosDriver(NetworkDriver):
    """Polls CPU, memory, interfaces, environment, uptime and BGP of an IOS device."""

    platform = Platform.CISCO_IOS
    dialect = CliDialect(
        setup=("terminal length 0", "terminal width 511"),
        json_suffix=None,
        error_markers=("% invalid", "% incomplete", "% ambiguous", "% unknown command"),
    )
    text_commands = TEXT_COMMANDS[Platform.CISCO_IOS]
    commands = text_commands
