"""Parsing the ways people write days of the week: ``mon-fri``, ``sun-thu``, ``mon,wed,fri``."""

from __future__ import annotations

from bot.errors import InvalidInput

DAY_NAMES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_day(token: str) -> int:
    """Monday is 0, as in ``date.weekday()``; accepts ``mon``, ``Monday``, ``MON``."""
    key = token.strip().lower()[:3]
    if key not in DAY_NAMES or not DAY_NAMES[DAY_NAMES.index(key)].startswith(key):
        raise InvalidInput(
            f"'{token.strip()}' is not a day; use mon, tue, wed, thu, fri, sat, sun."
        )
    return DAY_NAMES.index(key)


def parse_days(spec: str) -> tuple[int, ...]:
    """Days in a spec, as sorted weekday numbers. Ranges wrap around the week (``sun-thu``)."""
    days: set[int] = set()
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            start_s, end_s = part.split("-", 1)
            start, end = parse_day(start_s), parse_day(end_s)
            span = (end - start) % 7
            days.update((start + i) % 7 for i in range(span + 1))
        else:
            days.add(parse_day(part))
    if not days:
        raise InvalidInput("no days given; write for example mon-fri, sun-thu or mon,wed,fri.")
    return tuple(sorted(days))


def format_days(days: tuple[int, ...] | list[int]) -> str:
    """The canonical stored form: ``mon,tue,wed,thu,fri``."""
    return ",".join(DAY_NAMES[d] for d in sorted(set(days)))


def parse_hhmm(value: str) -> str:
    """A local time of day as ``HH:MM`` (24 h); ``9:30`` becomes ``09:30``."""
    try:
        hours_s, minutes_s = value.strip().split(":")
        hours, minutes = int(hours_s), int(minutes_s)
    except ValueError:
        raise InvalidInput(f"'{value}' is not a time; write it as HH:MM, e.g. 09:30.") from None
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise InvalidInput(f"'{value}' is not a time of day; hours 00-23, minutes 00-59.")
    return f"{hours:02d}:{minutes:02d}"
