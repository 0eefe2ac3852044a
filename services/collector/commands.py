"""Commands built from user input: validate the argument first, then fill the template.

An interface name reaches a device command line only through `interface_command`, which
refuses anything but a plain interface name (letters, digits and `/ . : _ -`, starting with
a letter or digit, at most 64 characters). Shell and CLI metacharacters (`;`, `|`, `$`,
backticks, quotes, spaces, newlines) can therefore never be smuggled in. Sessions accept a
templated command only when it matches an allow-listed template this same way.
"""

from __future__ import annotations

import re

from shared.errors import CommandRejected

INTERFACE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9/._:-]{0,63}")
PLACEHOLDER = "{interface}"


def interface_command(template: str, name: str, *, device: str = "-") -> str:
    """`template` with `{interface}` replaced by `name`; CommandRejected when `name` is unsafe."""
    if template.count(PLACEHOLDER) != 1:
        raise CommandRejected(device, f"template {template!r} needs exactly one {PLACEHOLDER}")
    if INTERFACE_NAME.fullmatch(name) is None:
        raise CommandRejected(
            device, f"interface name {name!r} refused: only letters, digits and / . : _ -"
        )
    return template.replace(PLACEHOLDER, name)


def matches_template(command: str, template: str) -> bool:
    """Whether `command` is `template` filled with a valid interface name."""
    before, sep, after = template.partition(PLACEHOLDER)
    if not sep:
        return False
    pattern = re.escape(before) + INTERFACE_NAME.pattern + re.escape(after)
    return re.fullmatch(pattern, command) is not None
