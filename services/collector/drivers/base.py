"""What a platform driver is: the commands it may send, grouped, and how to read them.

A driver instance belongs to one device, so it may keep state between polls (the Linux
driver keeps the previous /proc/stat to compute CPU utilisation from deltas). Counters are
returned raw with their width; the poller turns them into rates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from shared.errors import CommandRejected
from shared.inventory import Platform


@dataclass(frozen=True, slots=True)
class Reading:
    """One value read from a device; `counter_bits` set means a raw counter to rate."""

    metric: str
    value: float
    attributes: Mapping[str, str] = field(default_factory=dict)
    counter_bits: int | None = None


Parser = Callable[[str], list[Reading]]


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """One read-only command of a metric group and the pure parser of its output."""

    group: str
    command: str
    parser: Parser


class Driver:
    """Base class: subclasses set `platform`, `setup_commands` and `commands`."""

    platform: ClassVar[Platform]
    setup_commands: ClassVar[tuple[str, ...]] = ()
    commands: ClassVar[tuple[CommandSpec, ...]] = ()

    @classmethod
    def allowed_commands(cls) -> frozenset[str]:
        """Every command text this driver may ever send to a device."""
        return frozenset(cls.setup_commands) | {spec.command for spec in cls.commands}

    def parse(self, spec: CommandSpec, output: str) -> list[Reading]:
        """Read one command's output; stateful drivers override this."""
        return spec.parser(output)

    @classmethod
    def check_command(cls, device: str, command: str) -> None:
        """Raise CommandRejected unless `command` is on this driver's allow-list."""
        if command not in cls.allowed_commands():
            raise CommandRejected(
                device, f"command {command!r} is not allowed for platform {cls.platform}"
            )
