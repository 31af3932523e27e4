"""The ``/kaizen`` subcommands: one grammar for Slack, Teams and the sandbox.

Adapters pass the text after the command (Slack's ``text``, a Teams message without the
mention) to ``parse`` and dispatch on the result; ``help_lines`` is the one list of what exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot.errors import InvalidInput
from bot.weekdays import DAY_NAMES


@dataclass(frozen=True, slots=True)
class Subcommand:
    name: str
    usage: str
    summary: str
    needs_channel: bool = True


SUBCOMMANDS: tuple[Subcommand, ...] = (
    Subcommand("help", "help", "what Kaizen can do", needs_channel=False),
    Subcommand("log", "log <what happened>", "log a waste, e.g. `log waited 2 days on review`"),
    Subcommand("concern", "concern [model] <text>", "track an MLOps concern on a model"),
    Subcommand("concerns", "concerns", "list this channel's open concerns"),
    Subcommand("resolve", "resolve <id> [note]", "resolve a concern, e.g. `resolve 12 retrained`"),
    Subcommand("digest", "digest [post]", "preview this week's digest, or post it to the channel"),
    Subcommand("checkin", "checkin", "answer today's check-in now"),
    Subcommand("setup", "setup", "set this channel's schedule, questions, digest and models"),
    Subcommand("pause", "pause", "pause check-ins in this channel"),
    Subcommand("resume", "resume", "resume check-ins in this channel"),
    Subcommand("skip", "skip <date> [to <date>]", "skip your check-ins on a day or while away"),
    Subcommand("stats", "stats", "participation and top wastes for the last four weeks"),
    Subcommand("forget-me", "forget-me", "delete all Kaizen stored about you", needs_channel=False),
)  # fmt: skip
BY_NAME = {s.name: s for s in SUBCOMMANDS}
ALIASES = {
    "forget": "forget-me",
    "forgetme": "forget-me",
    "concerned": "concern",
    "check-in": "checkin",
}


@dataclass(frozen=True, slots=True)
class Command:
    """A parsed subcommand; ``unknown`` holds what was typed when it matched nothing."""

    name: str
    args: str = ""
    unknown: str | None = None

    @property
    def spec(self) -> Subcommand:
        return BY_NAME[self.name]


def parse(text: str) -> Command:
    """``"log waited on review"`` -> ``Command("log", "waited on review")``; empty -> help."""
    stripped = text.strip()
    if not stripped:
        return Command("help")
    word, _, rest = stripped.partition(" ")
    key = word.lower()
    key = ALIASES.get(key, key)
    if key in BY_NAME:
        return Command(key, rest.strip())
    return Command("help", unknown=word)


def help_lines() -> list[str]:
    """``usage — summary`` for every subcommand, in the order people need them."""
    return [f"`/kaizen {s.usage}` — {s.summary}" for s in SUBCOMMANDS]


# What to say when a subcommand that needs words gets none: (what is missing, an example).
_NEEDS_ARGS = {
    "log": ("Tell me what happened", "log waited 2 days for a review on the feature-store PR"),
    "concern": ("Describe the concern", "concern churn-v3 recall fell to 0.61 on new customers"),
    "resolve": ("Say which concern to resolve by its number", "resolve 12 retrained on Nov data"),
}


def require_args(cmd: Command, prefix: str) -> str:
    """The subcommand's words, or ``InvalidInput`` with an example written the way this
    platform types commands (``prefix`` is ``"/kaizen "`` in Slack, empty in Teams)."""
    if cmd.args.strip():
        return cmd.args.strip()
    lead, example = _NEEDS_ARGS[cmd.name]
    raise InvalidInput(f"{lead}, e.g. `{prefix}{example}`.")


def concern_number(cmd: Command, prefix: str) -> tuple[int, str]:
    """``resolve 12 note`` -> ``(12, "note")``; a clear message when there is no number."""
    first, _, note = require_args(cmd, prefix).partition(" ")
    number = first.lstrip("#")
    if not number.isdigit():
        lead, example = _NEEDS_ARGS["resolve"]
        raise InvalidInput(f"{lead}, e.g. `{prefix}{example}`; `{prefix}concerns` lists them.")
    return int(number), note.strip()


def parse_date(value: str, today: date) -> date:
    """A day as people type it: ``2026-12-24``, ``today``, ``tomorrow``, ``fri``, ``monday``.

    A weekday name means its next occurrence, today included.
    """
    word = value.strip().lower()
    if word == "today":
        return today
    if word == "tomorrow":
        return today + timedelta(days=1)
    if word[:3] in DAY_NAMES and DAY_NAMES[DAY_NAMES.index(word[:3])].startswith(word[:3]):
        ahead = (DAY_NAMES.index(word[:3]) - today.weekday()) % 7
        return today + timedelta(days=ahead)
    try:
        return date.fromisoformat(word)
    except ValueError:
        raise InvalidInput(
            f"'{value.strip()}' is not a date I understand; use YYYY-MM-DD, today, tomorrow "
            "or a weekday such as fri."
        ) from None


def parse_date_range(value: str, today: date) -> tuple[date, date]:
    """``tomorrow`` or ``2026-12-24 to 2027-01-02`` (also ``..``): first and last day."""
    text = value.strip()
    if not text:
        raise InvalidInput("say which day to skip, e.g. `skip tomorrow` or `skip 2026-12-24`.")
    for sep in (" to ", "..", " until ", " - "):
        if sep in text:
            start_s, end_s = text.split(sep, 1)
            start, end = parse_date(start_s, today), parse_date(end_s, today)
            if end < start:
                raise InvalidInput("the range ends before it starts; put the earlier date first.")
            if (end - start).days > 366:
                raise InvalidInput("an away range can be at most a year long.")
            return start, end
    day = parse_date(text, today)
    return day, day
