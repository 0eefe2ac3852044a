"""The Cisco NX-OS driver: `| json` first, text (ntc-templates or our parsers) as fallback.

CPU comes from the 'CPU states' of `show system resources`, which the memory group
reads anyway, so `show processes cpu` (a long process table on a busy switch) is not
in the parsers' NX-OS table and is not polled.
"""

from __future__ import annotations

from services.collector.drivers.network import CliDialect, NetworkDriver
from services.collector.parsers.registry import TEXT_COMMANDS, preferred_commands
from shared.inventory import Platform


class NxosDriver(NetworkDriver):
    """Polls memory and CPU, interfaces, environment, uptime and BGP (all VRFs) of NX-OS."""

    platform = Platform.CISCO_NXOS
    dialect = CliDialect(
        setup=("terminal length 0", "terminal width 511"),
        json_suffix=" | json",
        error_markers=("% invalid", "% incomplete", "% ambiguous", "syntax error"),
    )
    text_commands = TEXT_COMMANDS[Platform.CISCO_NXOS]
    commands = preferred_commands(Platform.CISCO_NXOS)
