"""Modals for setup, labels, concerns and logging, and reading their submitted values."""

from __future__ import annotations

import json
from typing import Any

from bot.analysis.labels import CONCERNS, WASTES, display_name
from bot.models import Channel
from bot.prompts import QuestionSet
from bot.services.channels import ChannelChanges
from bot.weekdays import DAY_NAMES
from handlers.slack import ids
from handlers.slack.render.common import Block, context, modal, option, plain, text_input
from handlers.slack.text import escape

DAY_LABELS = dict(zip(DAY_NAMES, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), strict=True))
REMINDER_CHOICES = (
    ("off", "No reminder"),
    ("30", "After 30 min"),
    ("60", "After 1 hour"),
    ("120", "After 2 hours"),
    ("240", "After 4 hours"),
)


def _input(block_id: str, label: str, element: Block, optional: bool = False) -> Block:
    return {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": element,
        "optional": optional,
    }


def label_options(labels: tuple[str, ...]) -> list[Block]:
    return [option(display_name(label), label) for label in labels]


def labels_inputs(wastes: list[str], concerns: list[str]) -> list[Block]:
    """Two multi-selects pre-filled with the current labels; both may be left empty."""

    def multi(action_id: str, labels: tuple[str, ...], chosen: list[str]) -> Block:
        element: Block = {
            "type": "multi_static_select",
            "action_id": action_id,
            "options": label_options(labels),
            "placeholder": plain("Choose…"),
        }
        initial = [o for o in label_options(labels) if o["value"] in chosen]
        if initial:
            element["initial_options"] = initial
        return element

    return [
        _input(ids.B_WASTES, "Wastes", multi(ids.A_WASTES, WASTES, wastes), optional=True),
        _input(ids.B_CONCERNS, "MLOps concerns", multi(ids.A_CONCERNS, CONCERNS, concerns), True),
    ]


def labels_modal(
    reply_id: int, wastes: list[str], concerns: list[str], meta: dict[str, Any]
) -> Block:
    blocks = [context("Set what this entry is about. Kaizen learns from your correction.")]
    blocks += labels_inputs(wastes, concerns)
    return modal(
        ids.VIEW_LABELS,
        "Change category",
        blocks,
        private_metadata=json.dumps({"reply": reply_id, **meta}),
    )


def log_waste_modal(
    text: str, wastes: list[str], concerns: list[str], meta: dict[str, Any]
) -> Block:
    blocks = [text_input(ids.B_TEXT, ids.A_TEXT, "What happened", initial=text)]
    blocks += labels_inputs(wastes, concerns)
    return modal(
        ids.VIEW_LOG_WASTE, "Log as waste", blocks, submit="Log", private_metadata=json.dumps(meta)
    )


def assign_modal(concern_id: int, summary: str, meta: dict[str, Any]) -> Block:
    blocks = [
        context(f"Concern #{concern_id}: {escape(summary[:200])}"),
        _input(
            ids.B_OWNER,
            "Owner",
            {
                "type": "users_select",
                "action_id": ids.A_OWNER,
                "placeholder": plain("Pick a person"),
            },
        ),
    ]
    return modal(
        ids.VIEW_ASSIGN,
        "Assign concern",
        blocks,
        submit="Assign",
        private_metadata=json.dumps({"concern": concern_id, **meta}),
    )


def open_concern_modal(
    reply_id: int, kind: str | None, model: str | None, summary: str, meta: dict[str, Any]
) -> Block:
    kind_element: Block = {
        "type": "static_select",
        "action_id": ids.A_KIND,
        "options": label_options(CONCERNS),
    }
    if kind:
        kind_element["initial_option"] = option(display_name(kind), kind)
    blocks = [
        _input(ids.B_KIND, "Kind of concern", kind_element),
        text_input(
            ids.B_MODEL,
            ids.A_MODEL,
            "Model",
            initial=model,
            multiline=False,
            optional=True,
            max_length=128,
        ),
        text_input(ids.B_TEXT, ids.A_TEXT, "Summary", initial=summary[:500], max_length=500),
    ]
    return modal(
        ids.VIEW_OPEN_CONCERN,
        "Open as concern",
        blocks,
        submit="Open",
        private_metadata=json.dumps({"reply": reply_id, **meta}),
    )


def setup_modal(channel: Channel, sets: dict[str, QuestionSet], fallback_tz: str) -> Block:
    """Everything a channel can configure, pre-filled with what it has now."""
    days = channel.checkin_days.split(",")
    day_opts = [option(DAY_LABELS[d], d) for d in DAY_NAMES]
    set_opts = [option(f"{q.title} ({q.cadence})", name) for name, q in sorted(sets.items())]
    chosen_sets = [o for o in set_opts if o["value"] in channel.question_sets]
    reminder = (
        "off" if channel.reminder_delay_minutes is None else str(channel.reminder_delay_minutes)
    )
    reminder_opts = [option(label, value) for value, label in REMINDER_CHOICES]
    if reminder not in {v for v, _ in REMINDER_CHOICES}:
        reminder_opts.append(option(f"After {reminder} min", reminder))
    policy_opts = [
        option("Each member at their own local time", "member"),
        option("Everyone at the channel's time", "channel"),
    ]

    def pick(options: list[Block], value: str) -> Block:
        return next(o for o in options if o["value"] == value)

    checkboxes: Block = {"type": "checkboxes", "action_id": "v", "options": day_opts}
    initial_days = [o for o in day_opts if o["value"] in days]
    if initial_days:
        checkboxes["initial_options"] = initial_days
    sets_element: Block = {"type": "checkboxes", "action_id": "v", "options": set_opts[:10]}
    if chosen_sets:
        sets_element["initial_options"] = chosen_sets
    anon_opt = option("Anonymous mode: the digest never names who said what", "on")
    anon: Block = {"type": "checkboxes", "action_id": "v", "options": [anon_opt]}
    if channel.anonymous:
        anon["initial_options"] = [anon_opt]
    blocks: list[Block] = [
        _input("days", "Check-in days", checkboxes),
        _input(
            "time",
            "Check-in time",
            {"type": "timepicker", "action_id": "v", "initial_time": channel.checkin_time},
        ),
        _input(
            "policy",
            "Whose clock",
            {
                "type": "radio_buttons",
                "action_id": "v",
                "options": policy_opts,
                "initial_option": pick(policy_opts, channel.timezone_policy),
            },
        ),
        text_input(
            "timezone",
            "v",
            "Channel time zone (IANA, e.g. Europe/Berlin)",
            initial=channel.timezone or fallback_tz,
            multiline=False,
            max_length=64,
        ),
        _input("sets", "Questions", sets_element),
        _input(
            "reminder",
            "Reminder for people who haven't answered",
            {
                "type": "static_select",
                "action_id": "v",
                "options": reminder_opts,
                "initial_option": pick(reminder_opts, reminder),
            },
        ),
        _input(
            "digest_day",
            "Weekly digest day",
            {
                "type": "static_select",
                "action_id": "v",
                "options": day_opts,
                "initial_option": pick(day_opts, channel.digest_day),
            },
        ),
        _input(
            "digest_time",
            "Weekly digest time",
            {"type": "timepicker", "action_id": "v", "initial_time": channel.digest_time},
        ),
        _input("anonymous", "Privacy", anon, optional=True),
        text_input(
            "models",
            "v",
            "Models this channel owns (comma-separated)",
            initial=", ".join(channel.models),
            multiline=False,
            optional=True,
            max_length=1000,
            placeholder="churn-v3, fraud-scorer",
        ),
    ]
    return modal(
        ids.VIEW_SETUP, "Kaizen setup", blocks, private_metadata=json.dumps({"channel": channel.id})
    )


def setup_changes(values: dict[str, dict[str, Any]]) -> ChannelChanges:
    """Read the submitted setup modal back into the core's change set."""

    def v(block: str) -> dict[str, Any]:
        return values.get(block, {}).get("v", {})

    days = [o["value"] for o in v("days").get("selected_options") or []]
    reminder = (v("reminder").get("selected_option") or {}).get("value", "off")
    models = v("models").get("value") or ""
    return ChannelChanges(
        checkin_days=",".join(days) if days else "",
        checkin_time=v("time").get("selected_time"),
        timezone_policy=(v("policy").get("selected_option") or {}).get("value"),
        timezone=(v("timezone").get("value") or "").strip() or None,
        question_sets=[o["value"] for o in v("sets").get("selected_options") or []],
        reminder_delay_minutes=None if reminder == "off" else int(reminder),
        reminders_off=reminder == "off",
        digest_day=(v("digest_day").get("selected_option") or {}).get("value"),
        digest_time=v("digest_time").get("selected_time"),
        anonymous=bool(v("anonymous").get("selected_options")),
        models=[m for m in models.split(",") if m.strip()],
    )


def selected_labels(values: dict[str, dict[str, Any]]) -> tuple[list[str], list[str]]:
    wastes = values.get(ids.B_WASTES, {}).get(ids.A_WASTES, {}).get("selected_options") or []
    concerns = values.get(ids.B_CONCERNS, {}).get(ids.A_CONCERNS, {}).get("selected_options") or []
    return [o["value"] for o in wastes], [o["value"] for o in concerns]
