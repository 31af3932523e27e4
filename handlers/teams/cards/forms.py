"""The setup card (Teams' counterpart of Slack's setup modal) and reading its submission back.

Same settings, same core validation: days, time, whose clock, time zone, question sets,
reminder, digest day and time, anonymity and the channel's models. A refused submission comes
back as the same card with the values the person entered and the problems listed, so nothing
typed is lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from bot.errors import InvalidInput
from bot.models import Channel
from bot.prompts import QuestionSet
from bot.services.channels import ChannelChanges, validate
from bot.weekdays import DAY_NAMES
from handlers.teams.cards.common import Element, card, execute, heading, subtle, text_block

SETUP_SUBMIT = "setup_submit"
DAY_LABELS = dict(zip(DAY_NAMES, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), strict=True))
REMINDER_CHOICES = (
    ("off", "No reminder"),
    ("30", "After 30 min"),
    ("60", "After 1 hour"),
    ("120", "After 2 hours"),
    ("240", "After 4 hours"),
)
# Input ids of the card, named after the ChannelChanges field each one fills.
LABELS = {
    "checkin_days": "Check-in days",
    "checkin_time": "Check-in time",
    "timezone_policy": "Whose clock",
    "timezone": "Channel time zone",
    "question_sets": "Questions",
    "reminder_delay_minutes": "Reminder",
    "digest_day": "Weekly digest day",
    "digest_time": "Weekly digest time",
    "models": "Models",
}


def _choices(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"title": title, "value": value} for value, title in pairs]


def _choice_set(
    id_: str, label: str, pairs: list[tuple[str, str]], value: str, **props: Any
) -> Element:
    return {
        "type": "Input.ChoiceSet",
        "id": id_,
        "label": label,
        "choices": _choices(pairs),
        "value": value,
        **props,
    }


def current_values(channel: Channel, fallback_tz: str) -> dict[str, str]:
    """What the card shows before anything is changed, in the card's own string form."""
    return {
        "days": channel.checkin_days,
        "time": channel.checkin_time,
        "policy": channel.timezone_policy,
        "timezone": channel.timezone or fallback_tz,
        "sets": ",".join(channel.question_sets),
        "reminder": "off"
        if channel.reminder_delay_minutes is None
        else str(channel.reminder_delay_minutes),
        "digest_day": channel.digest_day,
        "digest_time": channel.digest_time,
        "anonymous": "true" if channel.anonymous else "false",
        "models": ", ".join(channel.models),
    }


def setup_card(
    channel_id: int,
    channel_name: str,
    sets: Mapping[str, QuestionSet],
    values: Mapping[str, str],
    *,
    errors: list[str] | None = None,
) -> Element:
    """Everything a channel can configure, filled with ``values`` (see ``current_values``)."""
    days = [(d, DAY_LABELS[d]) for d in DAY_NAMES]
    reminders = list(REMINDER_CHOICES)
    if values.get("reminder") not in {v for v, _ in reminders}:
        reminders.append((values["reminder"], f"After {values['reminder']} min"))
    set_pairs = [(name, f"{q.title} ({q.cadence})") for name, q in sorted(sets.items())]
    body: list[Element] = [heading(f"Kaizen setup · #{channel_name}")]
    for problem in errors or []:
        body.append(text_block(f"⚠️ {problem}", color="Attention", weight="Bolder"))
    body += [
        _choice_set(
            "days", "Check-in days", days, values.get("days", ""),
            isMultiSelect=True, style="expanded",
        ),
        {"type": "Input.Time", "id": "time", "label": "Check-in time",
         "value": values.get("time", "")},
        _choice_set(
            "policy", "Whose clock",
            [("member", "Each member at their own local time"),
             ("channel", "Everyone at the channel's time")],
            values.get("policy", "member"), style="expanded",
        ),
        {"type": "Input.Text", "id": "timezone", "maxLength": 64,
         "label": "Channel time zone (IANA, e.g. Europe/Berlin)",
         "value": values.get("timezone", "")},
        _choice_set(
            "sets", "Questions", set_pairs, values.get("sets", ""),
            isMultiSelect=True, style="expanded",
        ),
        _choice_set(
            "reminder", "Reminder for people who haven't answered", reminders,
            values.get("reminder", "off"), style="compact",
        ),
        _choice_set(
            "digest_day", "Weekly digest day", days, values.get("digest_day", "fri"),
            style="compact",
        ),
        {"type": "Input.Time", "id": "digest_time", "label": "Weekly digest time",
         "value": values.get("digest_time", "")},
        {"type": "Input.Toggle", "id": "anonymous", "title":
         "Anonymous mode: the digest never names who said what",
         "valueOn": "true", "valueOff": "false", "value": values.get("anonymous", "false")},
        {"type": "Input.Text", "id": "models", "maxLength": 1000,
         "label": "Models this channel owns (comma-separated)",
         "placeholder": "churn-v3, fraud-scorer", "value": values.get("models", "")},
        subtle("Changes apply from the next check-in."),
    ]  # fmt: skip
    return card(
        body,
        actions=[execute("Save", SETUP_SUBMIT, {"channel": channel_id}, style="positive")],
        fallback="Kaizen setup",
    )


def submitted_values(data: Mapping[str, Any]) -> dict[str, str]:
    keys = ("days", "time", "policy", "timezone", "sets", "reminder", "digest_day",
            "digest_time", "anonymous", "models")  # fmt: skip
    return {k: str(data.get(k) or "").strip() for k in keys}


def setup_changes(values: Mapping[str, str]) -> ChannelChanges:
    """Read the submitted card back into the core's change set (as Slack's modal does)."""

    def split(value: str) -> list[str]:
        return [v.strip() for v in value.split(",") if v.strip()]

    reminder = values.get("reminder") or "off"
    return ChannelChanges(
        checkin_days=",".join(split(values.get("days", ""))),
        checkin_time=values.get("time") or None,
        timezone_policy=values.get("policy") or None,
        timezone=values.get("timezone") or None,
        question_sets=split(values.get("sets", "")),
        reminder_delay_minutes=None if reminder == "off" else int(reminder),
        reminders_off=reminder == "off",
        digest_day=values.get("digest_day") or None,
        digest_time=values.get("digest_time") or None,
        anonymous=values.get("anonymous") == "true",
        models=split(values.get("models", "")),
    )


def setup_errors(values: Mapping[str, str], known_sets: set[str]) -> list[str]:
    """Each invalid setting, named by its label, so the card can list them all at once."""
    reminder = values.get("reminder") or "off"
    if reminder != "off" and not reminder.isdigit():
        return ["Reminder: choose one of the options."]
    changes = setup_changes(values)
    problems: list[str] = []
    for f in fields(changes):
        label = LABELS.get(f.name)
        value = getattr(changes, f.name)
        if label is None or value is None:
            continue
        try:
            validate(ChannelChanges(**{f.name: value}), known_sets)
        except InvalidInput as exc:
            problems.append(f"{label}: {str(exc)[:150]}")
    return problems


def saved_card(summary: str) -> Element:
    return card([text_block(f"⚙️ {summary}")], fallback=summary)
