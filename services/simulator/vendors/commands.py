"""Per-platform CLI dialects as data: command table, prompt, paging-off commands, error texts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from services.simulator.vendors import render_eos as eos
from services.simulator.vendors import render_eos_json as eos_json
from services.simulator.vendors import render_ios as ios
from services.simulator.vendors import render_junos as junos
from services.simulator.vendors import render_junos_json as junos_json
from services.simulator.vendors import render_nxos as nxos
from services.simulator.vendors import render_nxos_json as nxos_json
from services.simulator.vendors.snapshot import DeviceSnapshot
from shared.inventory import Platform

Renderer = Callable[[DeviceSnapshot], str]


@dataclass(frozen=True, slots=True, kw_only=True)
class Dialect:
    """How one platform's CLI looks and answers."""

    platform: Platform
    commands: dict[str, Renderer]
    paging_off: frozenset[str]
    silent: frozenset[str] = field(default_factory=frozenset)
    more_prompt: str = " --More-- "
    # What erases the pager prompt once the user pressed a key.
    more_erase: str = "\b" * 10 + " " * 10 + "\b" * 10
    no_more_suffix: str = "| no-more"

    def prompt(self, hostname: str, username: str) -> str:
        """The prompt shown before each command."""
        if self.platform is Platform.JUNIPER_JUNOS:
            return f"{username}@{hostname}> "
        return f"{hostname}#"

    def error(self, command: str, prompt_width: int) -> str:
        """The platform's answer to a command it does not know."""
        words = command.split()
        bad = _first_unknown(words, self.commands)
        column = prompt_width + len(" ".join(words[:bad])) + (1 if bad else 0)
        caret = " " * column + "^"
        if self.platform is Platform.JUNIPER_JUNOS:
            return f"{caret}\n{'unknown command.' if bad == 0 else 'syntax error.'}\n"
        if self.platform is Platform.ARISTA_EOS:
            return f"% Invalid input (at token {bad}: '{words[bad]}')\n"
        if self.platform is Platform.CISCO_NXOS:
            return f"{caret}\n% Invalid command at '^' marker.\n"
        return f"{caret}\n% Invalid input detected at '^' marker.\n"


def _first_unknown(words: list[str], commands: dict[str, Renderer]) -> int:
    """Index of the first word no known command continues with."""
    for n in range(len(words)):
        prefix = " ".join(words[: n + 1])
        if not any(c == prefix or c.startswith(prefix + " ") for c in commands):
            return n
    return max(0, len(words) - 1)


DIALECTS: dict[Platform, Dialect] = {
    Platform.CISCO_IOS: Dialect(
        platform=Platform.CISCO_IOS,
        commands={
            "show version": ios.show_version,
            "show processes cpu": ios.show_processes_cpu,
            "show processes cpu sorted": ios.show_processes_cpu,
            "show processes memory sorted": ios.show_processes_memory_sorted,
            "show interfaces": ios.show_interfaces,
            "show environment temperature": ios.show_environment_temperature,
            "show environment power all": ios.show_environment_power_all,
            "show environment all": ios.show_environment_all,
            "show ip bgp summary": ios.show_ip_bgp_summary,
        },
        paging_off=frozenset({"terminal length 0"}),
        silent=frozenset({"terminal width 511", "terminal width 0"}),
    ),
    Platform.CISCO_NXOS: Dialect(
        platform=Platform.CISCO_NXOS,
        commands={
            "show version": nxos.show_version,
            "show version | json": nxos_json.show_version,
            "show system resources": nxos.show_system_resources,
            "show system resources | json": nxos_json.show_system_resources,
            "show interface": nxos.show_interface,
            "show interface | json": nxos_json.show_interface,
            "show environment": nxos.show_environment,
            "show environment | json": nxos_json.show_environment,
            "show ip bgp summary": nxos.show_ip_bgp_summary,
            "show ip bgp summary | json": nxos_json.show_ip_bgp_summary,
            # One VRF (default) only, so `vrf all` prints the same as the plain form.
            "show ip bgp summary vrf all": nxos.show_ip_bgp_summary,
            "show ip bgp summary vrf all | json": nxos_json.show_ip_bgp_summary,
        },
        paging_off=frozenset({"terminal length 0"}),
        silent=frozenset({"terminal width 511", "terminal width 0"}),
    ),
    Platform.ARISTA_EOS: Dialect(
        platform=Platform.ARISTA_EOS,
        commands={
            "show version": eos.show_version,
            "show version | json": eos_json.show_version,
            "show processes top once": eos.show_processes_top_once,
            "show interfaces": eos.show_interfaces,
            "show interfaces | json": eos_json.show_interfaces,
            "show environment temperature": eos.show_environment_temperature,
            "show environment temperature | json": eos_json.show_environment_temperature,
            "show environment cooling": eos.show_environment_cooling,
            "show environment cooling | json": eos_json.show_environment_cooling,
            "show environment power": eos.show_environment_power,
            "show environment power | json": eos_json.show_environment_power,
            "show ip bgp summary": eos.show_ip_bgp_summary,
            "show ip bgp summary | json": eos_json.show_ip_bgp_summary,
        },
        paging_off=frozenset({"terminal length 0", "terminal pager 0"}),
        silent=frozenset({"terminal width 32767", "terminal width 0"}),
    ),
    Platform.JUNIPER_JUNOS: Dialect(
        platform=Platform.JUNIPER_JUNOS,
        commands={
            "show version": junos.show_version,
            "show version | display json": junos_json.show_version,
            "show chassis routing-engine": junos.show_chassis_routing_engine,
            "show chassis routing-engine | display json": junos_json.show_chassis_routing_engine,
            "show interfaces": junos.show_interfaces,
            "show interfaces extensive": partial(junos.show_interfaces, extensive=True),
            "show interfaces extensive | display json": junos_json.show_interfaces_extensive,
            "show chassis environment": junos.show_chassis_environment,
            "show chassis environment | display json": junos_json.show_chassis_environment,
            "show bgp summary": junos.show_bgp_summary,
            "show bgp summary | display json": junos_json.show_bgp_summary,
        },
        paging_off=frozenset({"set cli screen-length 0"}),
        silent=frozenset({"set cli screen-width 0", "set cli complete-on-space off"}),
        more_prompt="---(more)---",
        more_erase="\r" + " " * 12 + "\r",
    ),
}


def normalise(line: str) -> str:
    """Collapse whitespace and spaces around pipes, as every one of these CLIs tolerates."""
    text = " ".join(line.split())
    return text.replace(" |", "|").replace("|", " | ").replace("  ", " ").strip()
