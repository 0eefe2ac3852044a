"""The Linux driver: /proc files and df, read with plain `cat` over SSH."""

from __future__ import annotations

from services.collector.drivers.base import CommandSpec, Driver, Reading
from services.collector.parsers.linux_proc import (
    CpuTimes,
    cpu_utilization,
    parse_df,
    parse_loadavg,
    parse_meminfo,
    parse_net_dev,
    parse_proc_stat,
    parse_uptime,
)
from shared.inventory import Platform


def _check_stat(text: str) -> list[Reading]:
    """Validate /proc/stat; one read gives no utilisation, LinuxDriver.parse needs two."""
    parse_proc_stat(text)
    return []


class LinuxDriver(Driver):
    """Polls a Linux host; keeps the previous /proc/stat to turn jiffies into utilisation."""

    platform = Platform.LINUX
    commands = (
        CommandSpec(group="cpu", command="cat /proc/stat", parser=_check_stat),
        CommandSpec(group="load", command="cat /proc/loadavg", parser=parse_loadavg),
        CommandSpec(group="memory", command="cat /proc/meminfo", parser=parse_meminfo),
        CommandSpec(group="interfaces", command="cat /proc/net/dev", parser=parse_net_dev),
        CommandSpec(group="system", command="cat /proc/uptime", parser=parse_uptime),
        CommandSpec(group="filesystem", command="df -P -k", parser=parse_df),
    )

    def __init__(self) -> None:
        self._previous_cpu: CpuTimes | None = None

    def parse(self, spec: CommandSpec, output: str) -> list[Reading]:
        """Parse one command; the cpu group yields utilisation from the last two reads."""
        if spec.group != "cpu":
            return spec.parser(output)
        current = parse_proc_stat(output)
        previous, self._previous_cpu = self._previous_cpu, current
        if previous is None:
            return []
        utilization = cpu_utilization(previous, current)
        return [] if utilization is None else [Reading("system.cpu.utilization", utilization)]
