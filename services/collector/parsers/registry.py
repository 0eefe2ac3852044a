"""Which commands each network platform is polled with, and the parser of each.

Drivers take their command tables from here. Where a platform offers structured output,
`JSON_COMMANDS` is preferred and `TEXT_COMMANDS` is the fallback for software without
it; the text table also holds groups that have no JSON form (EOS CPU).
"""

from __future__ import annotations

from services.collector.drivers.base import CommandSpec
from services.collector.parsers import (
    arista_eos,
    arista_eos_json,
    cisco_ios,
    cisco_nxos,
    cisco_nxos_json,
    juniper_junos,
    juniper_junos_json,
)
from shared.inventory import Platform

TEXT_COMMANDS: dict[Platform, tuple[CommandSpec, ...]] = {
    Platform.CISCO_IOS: cisco_ios.COMMANDS,
    Platform.CISCO_NXOS: cisco_nxos.COMMANDS,
    Platform.ARISTA_EOS: arista_eos.COMMANDS,
    Platform.JUNIPER_JUNOS: juniper_junos.COMMANDS,
}

JSON_COMMANDS: dict[Platform, tuple[CommandSpec, ...]] = {
    Platform.CISCO_NXOS: cisco_nxos_json.JSON_COMMANDS,
    Platform.ARISTA_EOS: arista_eos_json.JSON_COMMANDS,
    Platform.JUNIPER_JUNOS: juniper_junos_json.JSON_COMMANDS,
}


def preferred_commands(platform: Platform, *, json: bool = True) -> tuple[CommandSpec, ...]:
    """JSON commands where the platform has them, plus text commands JSON does not replace."""
    structured = JSON_COMMANDS.get(platform, ()) if json else ()
    replaced = {spec.command.split(" |")[0] for spec in structured}
    return structured + tuple(s for s in TEXT_COMMANDS[platform] if s.command not in replaced)
