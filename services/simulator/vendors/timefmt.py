"""Duration formats the platforms print: each vendor has its own grammar (or three)."""

from __future__ import annotations

import time

MINUTE, HOUR, DAY, WEEK, YEAR = 60, 3600, 86_400, 604_800, 31_536_000


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def ios_uptime(seconds: int) -> str:
    """IOS `show version`: '2 years, 31 weeks, 6 days, 9 hours, 55 minutes'."""
    years, rest = divmod(seconds, YEAR)
    weeks, rest = divmod(rest, WEEK)
    days, rest = divmod(rest, DAY)
    hours, rest = divmod(rest, HOUR)
    parts = [(years, "year"), (weeks, "week"), (days, "day"), (hours, "hour")]
    shown: list[str] = []
    for count, unit in parts:
        if count or shown:
            shown.append(_plural(count, unit))
    shown.append(_plural(rest // MINUTE, "minute"))
    return ", ".join(shown)


def cisco_short(seconds: int) -> str:
    """IOS/NX-OS short durations: '05:23:37', '1d21h', '3w0d', '1y10w'."""
    if seconds < DAY:
        hours, rest = divmod(seconds, HOUR)
        return f"{hours:02d}:{rest // MINUTE:02d}:{rest % MINUTE:02d}"
    if seconds < WEEK:
        return f"{seconds // DAY}d{(seconds % DAY) // HOUR:02d}h"
    if seconds < YEAR:
        return f"{seconds // WEEK}w{(seconds % WEEK) // DAY}d"
    return f"{seconds // YEAR}y{(seconds % YEAR) // WEEK}w"


def ios_short(seconds: int) -> str:
    """IOS prints hours without padding in its day form: '1d21h', '4d2h'."""
    text = cisco_short(seconds)
    if DAY <= seconds < WEEK:
        return f"{seconds // DAY}d{(seconds % DAY) // HOUR}h"
    return text


def nxos_uptime(seconds: int) -> str:
    """NX-OS `show version`: '123 day(s), 5 hour(s), 15 minute(s), 19 second(s)'."""
    days, rest = divmod(seconds, DAY)
    hours, rest = divmod(rest, HOUR)
    return (f"{days} day(s), {hours} hour(s), {rest // MINUTE} minute(s), "
            f"{rest % MINUTE} second(s)")


def eos_uptime(seconds: int) -> str:
    """EOS `show version`: '2 days, 15 hours and 56 minutes' (units always plural-aware)."""
    days, rest = divmod(seconds, DAY)
    hours, rest = divmod(rest, HOUR)
    parts = [_plural(days, "day")] if days else []
    if hours or days:
        parts.append(_plural(hours, "hour"))
    minutes = _plural(rest // MINUTE, "minute")
    return f"{', '.join(parts)} and {minutes}" if parts else minutes


def eos_short(seconds: int) -> str:
    """EOS BGP Up/Down: '02:49:40' under a day, then '4d03h'."""
    if seconds < DAY:
        return cisco_short(seconds)
    return f"{seconds // DAY}d{(seconds % DAY) // HOUR:02d}h"


def hms(seconds: int) -> str:
    """'5:23:37' (hours not padded), the clock part of Junos durations."""
    hours, rest = divmod(seconds, HOUR)
    return f"{hours}:{rest // MINUTE:02d}:{rest % MINUTE:02d}"


def junos_elapsed(seconds: int) -> str:
    """Junos BGP: '5:23:37', '2d 5:23:37', '9w2d 5:23:37'."""
    weeks, rest = divmod(seconds, WEEK)
    days, rest = divmod(rest, DAY)
    if weeks:
        return f"{weeks}w{days}d {hms(rest)}"
    if days:
        return f"{days}d {hms(rest)}"
    return hms(rest)


def junos_uptime(seconds: int) -> str:
    """Junos routing engine: '208 days, 23 hours, 14 minutes, 9 seconds'."""
    days, rest = divmod(seconds, DAY)
    hours, rest = divmod(rest, HOUR)
    return (f"{_plural(days, 'day')}, {_plural(hours, 'hour')}, "
            f"{_plural(rest // MINUTE, 'minute')}, {_plural(rest % MINUTE, 'second')}")


def strftime_utc(epoch: float, pattern: str) -> str:
    """Format an epoch in UTC with a strftime pattern."""
    return time.strftime(pattern, time.gmtime(epoch))
