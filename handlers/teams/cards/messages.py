"""Answers to typed commands and button clicks, as Adaptive Cards 1.5 (pure: data in, dict out).

The ``log`` answer carries Slack's three buttons (*Change category*, *Open as concern*,
*Undo*) with ``{"reply": id}``; Teams has no modals, so the first two turn the card into a form
in place, whose inputs (``wastes``, ``concerns``; ``kind``, ``model``, ``summary``) arrive merged
into the submit button's data.

Concern buttons use the same verbs and data shape as the digest card (``concern_resolve`` /
``concern_assign`` with ``{"concern_id": id}``) plus ``channel`` and, for a list, ``view``, so a
click can answer with the same list refreshed in place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.analysis.labels import CONCERNS, WASTES, display_name
from bot.commands import SUBCOMMANDS
from bot.digests.model import ConcernItem
from bot.digests.text import age_phrase, short_date
from bot.schedule.content import CheckinOpened, DailySummary
from bot.services.analysis import ReplyAnalysis
from bot.services.stats import Stats
from handlers.teams.cards.common import Element, card, execute, heading, subtle, text_block
from handlers.teams.cards.common import user_text as _u
from handlers.teams.cards.digest import ASSIGN_VERB, RESOLVE_VERB, escape_card_text

FORGET_CONFIRM = "forget_confirm"
FORGET_CANCEL = "forget_cancel"
LOG_CHANGE_CATEGORY = "log_change_category"
LOG_LABELS_SUBMIT = "log_labels_submit"
LOG_OPEN_CONCERN = "log_open_concern"
LOG_CONCERN_SUBMIT = "log_concern_submit"
LOG_UNDO = "log_undo"
LOG_BACK = "log_back"
MAX_LISTED = 20
SUMMARY_CHARS = 500
MODEL_CHARS = 128


def help_card(unknown: str | None = None) -> Element:
    """Every subcommand (the same list as Slack's ``/kaizen help``), typed without a slash."""
    body: list[Element] = []
    if unknown is not None:
        body.append(text_block(f"🤔 I don't know **{_u(unknown, 60)}**. Here is what I can do:"))
    else:
        body.append(
            text_block(
                "Kaizen runs continuous-improvement check-ins: it names the wastes your team "
                "keeps running into and tracks model-health concerns until someone resolves them."
            )
        )
    body.append(
        {
            "type": "FactSet",
            "facts": [
                {"title": escape_card_text(s.usage), "value": s.summary.replace("`", "")}
                for s in SUBCOMMANDS
            ],
        }
    )
    body.append(subtle("In a channel, mention me first: @Kaizen log waited 2 days on review."))
    lead = f"I don't know '{unknown}'. " if unknown is not None else ""
    fallback = lead + "Commands: " + ", ".join(s.name for s in SUBCOMMANDS)
    return card(body, fallback=fallback)


def labels_phrase(analysis: ReplyAnalysis) -> str:
    found = [display_name(x) for x in analysis.reading.wastes + analysis.reading.concerns]
    return ", ".join(f"**{f}**" for f in found) if found else "_no waste or concern recognised_"


def logged_card(analysis: ReplyAnalysis, text: str, *, note: str | None = None) -> Element:
    """The answer to ``log``: what was understood, how often it recurs, the entry quoted, and
    *Change category* / *Open as concern* / *Undo* (``note`` says what a click just changed)."""
    reading = analysis.reading
    details = [f"Understood: {labels_phrase(analysis)}"]
    if reading.hours_lost:
        details.append(f"about **{reading.hours_lost:g} h** lost")
    if reading.model:
        details.append(f"model **{_u(reading.model, 80)}**")
    body = [text_block(f"{note or '✅ Logged.'} " + " · ".join(details))]
    if reading.theme is not None:
        label = _u(reading.theme.label, 80)
        if analysis.theme_replies > 1:
            body.append(
                text_block(
                    f"🔁 This is theme **{label}**, now mentioned {analysis.theme_replies} times."
                )
            )
        else:
            body.append(text_block(f"🆕 New theme **{label}**."))
    body.append(_quoted(text))
    plain = [display_name(x) for x in reading.wastes + reading.concerns]
    data = {"reply": analysis.reply_id}
    return card(
        body,
        actions=[
            execute("Change category", LOG_CHANGE_CATEGORY, data),
            execute("Open as concern", LOG_OPEN_CONCERN, data),
            execute("Undo", LOG_UNDO, data, style="destructive"),
        ],
        fallback="Logged: " + (", ".join(plain) or "noted"),
    )


def _quoted(text: str) -> Element:
    return {
        "type": "Container",
        "style": "emphasis",
        "items": [text_block(_u(text, 500), spacing="None")],
    }


def _label_choices(labels: Sequence[str]) -> list[dict[str, str]]:
    return [{"title": display_name(label), "value": label} for label in labels]


def _error(text: str) -> Element:
    return text_block(f"⚠️ {text}", color="Attention", weight="Bolder")


def labels_card(
    reply_id: int,
    text: str,
    wastes: Sequence[str],
    concerns: Sequence[str],
    *,
    error: str | None = None,
) -> Element:
    """*Change category*: two multi-selects holding the entry's current labels (both may be
    left empty), *Save* and *Back*."""

    def multi(id_: str, label: str, labels: tuple[str, ...], chosen: Sequence[str]) -> Element:
        element: Element = {
            "type": "Input.ChoiceSet",
            "id": id_,
            "label": label,
            "choices": _label_choices(labels),
            "isMultiSelect": True,
            "style": "compact",
            "placeholder": "Choose…",
        }
        value = ",".join(x for x in labels if x in chosen)
        if value:
            element["value"] = value
        return element

    body: list[Element] = [
        heading("Change category"),
        subtle("Set what this entry is about. Kaizen learns from your correction.", spacing="None"),
        _quoted(text),
    ]
    if error:
        body.append(_error(error))
    body += [
        multi("wastes", "Wastes", WASTES, wastes),
        multi("concerns", "MLOps concerns", CONCERNS, concerns),
    ]
    data = {"reply": reply_id}
    return card(
        body,
        actions=[
            execute("Save", LOG_LABELS_SUBMIT, data, style="positive"),
            execute("Back", LOG_BACK, data, associatedInputs="none"),
        ],
        fallback="Change category",
    )


def open_concern_card(
    reply_id: int,
    kind: str | None,
    model: str | None,
    summary: str,
    *,
    error: str | None = None,
) -> Element:
    """*Open as concern*: the kind (the entry's best concern label), the model and a summary,
    all editable, then *Open* (or *Back* to the logged entry)."""
    kind_input: Element = {
        "type": "Input.ChoiceSet",
        "id": "kind",
        "label": "Kind of concern",
        "choices": _label_choices(CONCERNS),
        "style": "compact",
        "placeholder": "Choose…",
        "isRequired": True,
        "errorMessage": "Pick a kind.",
    }
    if kind in CONCERNS:
        kind_input["value"] = kind
    body: list[Element] = [heading("Open as concern")]
    if error:
        body.append(_error(error))
    body += [
        kind_input,
        {
            "type": "Input.Text",
            "id": "model",
            "label": "Model (optional)",
            "maxLength": MODEL_CHARS,
            "value": (model or "")[:MODEL_CHARS],
        },
        {
            "type": "Input.Text",
            "id": "summary",
            "label": "Summary",
            "isMultiline": True,
            "maxLength": SUMMARY_CHARS,
            "isRequired": True,
            "errorMessage": "Describe the concern.",
            "value": summary[:SUMMARY_CHARS],
        },
    ]
    data = {"reply": reply_id}
    return card(
        body,
        actions=[
            execute("Open", LOG_CONCERN_SUBMIT, data, style="positive"),
            execute("Back", LOG_BACK, data, associatedInputs="none"),
        ],
        fallback="Open as concern",
    )


def undone_card() -> Element:
    text = "🗑️ Undone: that entry is deleted."
    return card([text_block(text)], fallback=text)


def concern_element(item: ConcernItem, channel_id: int, view: str = "list") -> Element:
    """One unresolved concern with *Resolve* and *Assign to me*."""
    title = ["⚠️ **Overdue**"] if item.overdue else []
    if item.model:
        title.append(f"**{_u(item.model, 80)}**")
    title.append(f"{display_name(item.kind)} (#{item.id})")
    owner = f"owner: {_u(item.owner, 60)}" if item.owner else "_no owner yet_"
    data: dict[str, Any] = {"concern_id": item.id, "channel": channel_id, "view": view}
    return {
        "type": "Container",
        "separator": True,
        "spacing": "Medium",
        **({"style": "attention"} if item.overdue else {}),
        "items": [
            text_block(" · ".join(title)),
            text_block(_u(item.summary, 300), spacing="Small"),
            subtle(
                f"{age_phrase(item.age_days)} · {owner} · "
                f"last mentioned {short_date(item.last_mention)}",
                spacing="Small",
            ),
            {
                "type": "ActionSet",
                "actions": [
                    execute("Resolve", RESOLVE_VERB, data, style="positive"),
                    execute("Assign to me", ASSIGN_VERB, data),
                ],
            },
        ],
    }


def concerns_card(
    items: Sequence[ConcernItem], channel_name: str, channel_id: int, *, note: str | None = None
) -> Element:
    """The open concerns of a channel; ``note`` says what just changed (after a click)."""
    name = _u(channel_name, 80)
    body: list[Element] = []
    if note:
        body.append(text_block(note))
    if not items:
        body.append(text_block(f"🎉 No open MLOps concerns in #{name}."))
        return card(body, fallback="No open concerns.")
    body.append(heading(f"Open MLOps concerns in #{name} ({len(items)})"))
    body += [concern_element(item, channel_id) for item in items[:MAX_LISTED]]
    if len(items) > MAX_LISTED:
        body.append(subtle(f"…and {len(items) - MAX_LISTED} more."))
    return card(body, fallback=f"{len(items)} open concern(s)")


def concern_opened_card(item: ConcernItem, channel_id: int, *, note: str | None = None) -> Element:
    """One concern with its buttons: after ``concern``, or after *Assign* on that card."""
    lead = note or (
        f"👀 Tracking concern #{item.id} until someone resolves it. Wrong kind? Resolve it and "
        "open it again in other words."
    )
    return card(
        [
            text_block(lead),
            concern_element(item, channel_id, view="single"),
        ],
        fallback=f"Tracking concern #{item.id}.",
    )


def concern_done_card(text: str) -> Element:
    """What a single concern's card becomes after a click."""
    return card([text_block(text)], fallback="Concern updated.")


def stats_card(stats: Stats, channel_name: str) -> Element:
    rate = f"{stats.answered}/{stats.asked} check-ins answered" if stats.asked else "no check-ins"
    body = [heading(f"Last four weeks in #{_u(channel_name, 80)}"), text_block(rate)]
    if stats.people:
        body.append(
            text_block(" · ".join(f"{_u(n, 40)} {done}/{asked}" for n, done, asked in stats.people))
        )
    if stats.top_wastes:
        body.append(
            text_block(
                "**Top wastes:** "
                + ", ".join(
                    f"{display_name(w)} ({n}{f', {h:g} h' if h else ''})"
                    for w, n, h in stats.top_wastes
                )
            )
        )
    if stats.top_themes:
        body.append(
            text_block(
                "**Recurring:** "
                + ", ".join(f"{_u(label, 60)} ×{n}" for label, n in stats.top_themes)
            )
        )
    return card(body, fallback=f"Stats: {rate}")


def forget_confirm_card() -> Element:
    return card(
        [
            text_block(
                "This deletes every reply you gave Kaizen, in every channel, and what was read "
                "from them. Concerns you opened stay on the team's list without your name. "
                "This cannot be undone."
            )
        ],
        actions=[
            execute("Delete my data", FORGET_CONFIRM, {}, style="destructive"),
            execute("Keep", FORGET_CANCEL, {}),
        ],
        fallback="Delete your Kaizen data?",
    )


def checkin_opened_card(opened: CheckinOpened) -> Element:
    return card(
        [
            text_block(
                f"☀️ Check-in for **#{_u(opened.channel_name, 80)}** is open "
                f"({opened.local_date:%a %d %b}): I asked {opened.people} "
                f"{'person' if opened.people == 1 else 'people'} in a personal chat."
            )
        ],
        fallback=f"Check-in for #{opened.channel_name} is open.",
    )


def daily_summary_card(summary: DailySummary) -> Element:
    """Who answered, the waits and rework reported, and new concerns (user text escaped)."""
    late = " (updated with a late answer)" if summary.late else ""
    body: list[Element] = [
        heading(
            f"Check-in summary · #{_u(summary.channel_name, 80)} · "
            f"{summary.local_date:%a %d %b}{late}"
        ),
        text_block(f"{summary.answered_count}/{summary.asked_count} answered"),
    ]
    if summary.answered:
        body.append(subtle(_u(" · ".join(summary.answered), 1000), spacing="None"))
    for title, items in (("Waiting", summary.waits), ("Rework", summary.rework)):
        if items:
            body.append(text_block(f"**{title}**", spacing="Medium"))
            for item in items[:10]:
                by = f" — {_u(item.author, 60)}" if item.author else ""
                body.append(text_block(f"“{_u(item.text, 200)}”{by}", spacing="Small"))
    if summary.new_concerns:
        body.append(text_block("**New concerns**", spacing="Medium"))
        for cid, kind, model, text in summary.new_concerns[:10]:
            on = f"**{_u(model, 80)}** · " if model else ""
            body.append(
                text_block(f"{on}{display_name(kind)} (#{cid}): {_u(text, 200)}", spacing="Small")
            )
    return card(
        body,
        fallback=f"Check-in summary for #{summary.channel_name}: "
        f"{summary.answered_count}/{summary.asked_count} answered",
    )
