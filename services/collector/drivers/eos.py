"""The Arista EOS driver: `| json` first, text as fallback; CPU always from text.

`show processes top once` has no JSON form, so the cpu group is text on every release.
"""

from __future__ import annotations

from services.collector.drivers.network import CliDialect, NetworkDriver
from services.collector.parsers.registry import TEXT_COMMANDS, preferred_commands
from shared.inventory import Platform


class EosDriver(NetworkDriver):
    """Polls CPU, memory (from show version), interfaces, environment and BGP of EOS."""

    platform = Platform.ARISTA_EOS
    dialect = CliDialect(
        setup=("terminal length 0", "terminal width 32767"),
        json_suffix=" | json",
        error_markers=("% invalid", "% incomplete", "% ambiguous", "% unrecognized"),
    )
    text_commands = TEXT_COMMANDS[Platform.ARISTA_EOS]
    commands = preferred_commands(Platform.ARISTA_EOS)
