"""Extract "how long was lost" from a reply, in working hours.

Conventions (documented because digests add these numbers up across people and weeks):

* 1 working day = 8 h; 1 week = 5 working days = 40 h; 1 month = 21 working days = 168 h;
  a sprint = 2 weeks = 80 h. Minutes and seconds convert exactly (45 min = 0.75 h).
* Fuzzy spans: "half a day" = 4 h, "all morning"/"the afternoon" = 4 h, "all day"/"the whole day"
  = 8 h, "all week"/"the whole week" = 40 h, "overnight" is *not* counted (nobody works it).
* "since Monday" (or any weekday) = working days from that weekday up to ``today`` (exclusive
  of today when today is that weekday's following days, i.e. Monday->Wednesday = 2 days = 16 h).
  A weekday equal to today's means a full week ago (5 days).
* When a reply states several durations, the largest is returned: people usually give one
  total ("6 days and still waiting") and smaller numbers are parts or asides, so summing would
  double count.
* Not hours lost, so ignored: latencies and sizes ("p99 at 38ms", "6GB"), versions ("v3"),
  dates and times of day ("2026-03-02", "9:40", "at 2am"), rates ("3 per day"), and durations
  that describe data or age rather than time people lost: a span followed by "after", "ago",
  "old", "older", "later", "behind", "of data", "of labels", "window", "lag", "delay",
  "retention" or "history", or preceded by "last", "past", "within", "every", "per",
  "older than", "trained on", "for the full". So "disputes land 60-90d after the txn" is a
  data lag, not 720 h lost.
"""

from __future__ import annotations

import datetime as _dt
import re

HOURS_PER_DAY = 8.0
DAYS_PER_WEEK = 5
HOURS_PER_WEEK = HOURS_PER_DAY * DAYS_PER_WEEK
HOURS_PER_MONTH = HOURS_PER_DAY * 21

_UNITS: dict[str, float] = {}
for _names, _h in (
    (("s", "sec", "secs", "second", "seconds"), 1 / 3600),
    (("m", "min", "mins", "minute", "minutes"), 1 / 60),
    (("h", "hr", "hrs", "hour", "hours"), 1.0),
    (("d", "day", "days", "working day", "working days", "workday", "workdays"), HOURS_PER_DAY),
    (("w", "wk", "wks", "week", "weeks"), HOURS_PER_WEEK),
    (("mo", "month", "months"), HOURS_PER_MONTH),
    (("sprint", "sprints"), 2 * HOURS_PER_WEEK),
):
    for _n in _names:
        _UNITS[_n] = _h

_WORDNUM = {
    "a": 1.0, "an": 1.0, "one": 1.0, "two": 2.0, "three": 3.0, "four": 4.0, "five": 5.0,
    "six": 6.0, "seven": 7.0, "eight": 8.0, "nine": 9.0, "ten": 10.0, "eleven": 11.0,
    "twelve": 12.0, "fifteen": 15.0, "twenty": 20.0, "thirty": 30.0, "forty": 40.0,
    "a couple of": 2.0, "a couple": 2.0, "couple of": 2.0, "a few": 3.0, "few": 3.0,
    "several": 3.0, "half a": 0.5, "half an": 0.5,
}  # fmt: skip

_NUM = (
    r"(?P<num>\d+(?:\.\d+)?(?:\s*(?:-|–|to)\s*\d+(?:\.\d+)?)?|"
    + "|".join(re.escape(w) for w in sorted(_WORDNUM, key=len, reverse=True))
    + ")"
)
_UNIT = r"(?P<unit>" + "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True)) + r")"
_SPAN = re.compile(
    r"(?<![\w.:/-])(?:~|about |around |roughly |almost |over |nearly )?"
    + _NUM
    + r"(?:\s*|-)"
    + r"(?:(?:gpu|eng|engineer|person|node|man)[- ]?)?"
    + _UNIT
    + r"(?![\w/])"
)
_FUZZY = re.compile(
    r"\b(?P<f>half (?:a|the) day|half-day|(?:all|the whole|the entire|entire) (?:morning|afternoon)"
    r"|the (?:morning|afternoon)|(?:all|the whole|the entire|a whole|a full) day"
    r"|(?:all|the whole|the entire|a whole|a full) week|a day and a half)\b"
)
_FUZZY_HOURS = {"morning": 4.0, "afternoon": 4.0, "day": 8.0, "week": 40.0}

_WEEKDAYS = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "wednesday": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4,
}  # fmt: skip
_SINCE = re.compile(
    r"\bsince (?:last )?(?P<wd>" + "|".join(sorted(_WEEKDAYS, key=len, reverse=True)) + r")\b"
)
_DAY_N = re.compile(r"\b(?:day|week) (?P<n>\d+) (?:of|with|waiting|and|now)\b")

_AFTER_NOT_LOST = re.compile(
    r"^\s*(?:\w+\s)?(?:after|ago|old|older|later|behind|of (?:data|labels|history|traffic|logs)"
    r"|windows?|lag|delay|retention|history|of it|out\b|in advance|notice|before (?:it|the) )"
)
_BEFORE_NOT_LOST = re.compile(
    r"(?:\blast|\bpast|\bwithin|\bevery|\bper|\bolder than|\btrained on|\bfull|\bfirst|\bnext"
    r"|\bin|\bfor the|\bat|\bby|\bafter|\bbefore|\bof the|\bonce)\s*$"
)
_GATE = re.compile(
    r"\d\s*-?(?:h|d|m|s|w)|day|week|wk|hour|hr|min|sec|month|sprint|morning|afternoon|since"
)
"""Cheap pre-check: every span ("3h", "2 days", "a week"), fuzzy phrase and "since <weekday>"
contains one of these, so replies without any skip the full scan."""

# note: a number in a ratio or a date/time ("3/4", "9:40", "2026-03") is rejected by the span
# regex's lookbehind; "at 2am" has no unit here so it never matches.


def _may_be_fuzzy(lower: str) -> bool:
    """Whether ``lower`` can hold a fuzzy span ("half a day", "all morning"): a substring test
    per phrase family is much cheaper than running :data:`_FUZZY` over every reply."""
    return (
        "half" in lower
        or "morning" in lower
        or "afternoon" in lower
        or (
            ("day" in lower or "week" in lower)
            and ("all " in lower or "whole " in lower or "entire " in lower or "full " in lower)
        )
    )


def _num(raw: str) -> float:
    raw = raw.strip()
    if raw in _WORDNUM:
        return _WORDNUM[raw]
    parts = re.split(r"\s*(?:-|–|to)\s*", raw)
    vals = [float(p) for p in parts if p]
    # a range counts as its midpoint: "2-3 days" -> 2.5 days
    return sum(vals) / len(vals)


def _since_weekday(wd: int, today: _dt.date) -> float:
    back = (today.weekday() - wd) % 7 or 7
    days = 0
    for i in range(back, 0, -1):
        d = today - _dt.timedelta(days=i)
        if d.weekday() < 5:
            days += 1
    return days * HOURS_PER_DAY


def hours_lost(text: str, today: _dt.date | None = None) -> float | None:
    """Largest duration stated in ``text`` as working hours, or ``None`` if there is none.

    ``today`` anchors "since Monday"; it defaults to the current date. See the module docstring
    for the conventions and for what is deliberately not counted.
    """
    lower = text.lower()
    if _GATE.search(lower) is None:
        return None  # no digit and no unit or time word: nothing to measure (the common case)
    best: float | None = None

    def keep(h: float) -> None:
        nonlocal best
        if h > 0 and (best is None or h > best):
            best = h

    for m in _SPAN.finditer(lower):
        unit = m.group("unit")
        if unit in ("m", "s", "d", "w") and not m.group("num")[0].isdigit():
            continue  # "a m", "two s": not units when the number is spelt out
        if unit == "m" and lower[m.end() : m.end() + 1] == "b":
            continue
        before = lower[max(0, m.start() - 16) : m.start()]
        after = lower[m.end() : m.end() + 24]
        if _AFTER_NOT_LOST.match(after) or _BEFORE_NOT_LOST.search(before):
            continue
        if after.startswith(("/", " a day", " per", " a week", " each", " every")):
            continue  # rates: "3h a day" is not a total
        if unit == "s" and not after.lstrip().startswith(("to ", "for ", "of ", "waiting")):
            continue  # bare "40s" is as likely a decade or a count; only "40s to load" is a wait
        keep(_num(m.group("num")) * _UNITS[unit])

    for m in _FUZZY.finditer(lower) if _may_be_fuzzy(lower) else ():
        phrase = m.group("f")
        if phrase.startswith("half"):
            keep(HOURS_PER_DAY / 2)
        elif "day and a half" in phrase:
            keep(HOURS_PER_DAY * 1.5)
        else:
            keep(_FUZZY_HOURS[phrase.rsplit(" ", 1)[-1]])

    for m in _DAY_N.finditer(lower) if "day " in lower or "week " in lower else ():
        n = float(m.group("n"))
        keep(n * (HOURS_PER_DAY if m.group(0).startswith("day") else HOURS_PER_WEEK))

    m = _SINCE.search(lower) if "since " in lower else None
    if m:
        keep(_since_weekday(_WEEKDAYS[m.group("wd")], today or _dt.date.today()))
    return best
