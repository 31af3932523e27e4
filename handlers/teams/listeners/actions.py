"""Card buttons (``Action.Execute``): answered with a replacement card, in place.

Teams sends each click as an ``adaptiveCard/action`` invoke carrying the button's ``verb`` and
``data`` (plus every input's value). The SDK's per-action routing matches ``data.action``, while
our cards (the digest card included) name the action by ``verb``, so one handler dispatches on
the verb. An invoke must be answered within a few seconds with the card to show instead; a
problem the person can fix comes back as a short message, leaving their card as it was.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from microsoft_teams.api import AdaptiveCardInvokeActivity, AdaptiveCardInvokeResponse
from microsoft_teams.apps import ActivityContext, App
from sqlmodel import select

from bot.analysis.labels import CONCERNS, WASTES
from bot.analysis.model_names import find_model
from bot.digests.build import concern_item
from bot.errors import InvalidInput, InvalidTransition, NotFound
from bot.models import Finding, FindingKind, Reply
from bot.runtime import Kaizen
from bot.services import concerns, skips, workflows
from bot.services.channels import configure_channel
from bot.services.members import forget_member
from bot.services.replies import record_reply, undo_reply
from handlers.teams.cards.checkin import (
    CHECKIN_OPEN,
    CHECKIN_SKIP,
    CHECKIN_SUBMIT,
    answered_card,
    answers_from,
    checkin_card,
    missing_required,
    skipped_card,
)
from handlers.teams.cards.common import card, text_block, user_text
from handlers.teams.cards.digest import ASSIGN_VERB, RESOLVE_VERB
from handlers.teams.cards.forms import (
    SETUP_SUBMIT,
    saved_card,
    setup_card,
    setup_changes,
    setup_errors,
    submitted_values,
)
from handlers.teams.cards.messages import (
    FORGET_CANCEL,
    FORGET_CONFIRM,
    LOG_BACK,
    LOG_CHANGE_CATEGORY,
    LOG_CONCERN_SUBMIT,
    LOG_LABELS_SUBMIT,
    LOG_OPEN_CONCERN,
    LOG_UNDO,
    MODEL_CHARS,
    SUMMARY_CHARS,
    concern_opened_card,
    labels_card,
    logged_card,
    open_concern_card,
    undone_card,
)
from handlers.teams.context import Origin, forget_refs, origin_of, save_ref, who
from handlers.teams.listeners import flows

if TYPE_CHECKING:
    from handlers.teams.app import TeamsHost

Context = ActivityContext[AdaptiveCardInvokeActivity]
Action = Callable[[Kaizen, Context, Origin, dict[str, Any]], Awaitable[AdaptiveCardInvokeResponse]]


def _int(data: dict[str, Any], key: str) -> int:
    try:
        return int(data[key])
    except (KeyError, TypeError, ValueError):
        raise InvalidInput("this card is out of date; run the command again.") from None


def _day(data: dict[str, Any]) -> date:
    try:
        return date.fromisoformat(str(data["date"]))
    except (KeyError, ValueError):
        raise InvalidInput("this card is out of date; run the command again.") from None


def register(app: App, kaizen: Kaizen, host: TeamsHost) -> None:
    @app.on_card_action_execute()
    async def on_execute(ctx: Context) -> AdaptiveCardInvokeResponse:
        action = ctx.activity.value.action
        data = dict(action.data or {})
        verb = action.verb or str(data.get("action") or "")
        handler = ACTIONS.get(verb)
        if handler is None:
            return flows.text_response("This button is not something I know (any more).")
        origin = origin_of(ctx.activity)
        try:
            await save_ref(kaizen.db, origin)
            return await handler(kaizen, ctx, origin, data)
        except Exception as exc:
            return flows.text_response(flows.message_for(exc))


async def _checkin_open(
    kaizen: Kaizen, ctx: Context, origin: Origin, data: dict[str, Any]
) -> AdaptiveCardInvokeResponse:
    channel = await workflows.load_channel(kaizen, _int(data, "channel"))
    assert channel.id is not None
    questions = workflows.questions_for(kaizen, channel)
    name = channel.name or channel.platform_id
    return flows.card_response(checkin_card(questions, name, channel.id, _day(data)))


async def _checkin_skip(
    kaizen: Kaizen, ctx: Context, origin: Origin, data: dict[str, Any]
) -> AdaptiveCardInvokeResponse:
    person = await who(kaizen, origin)
    day = _day(data)
    await skips.skip(kaizen.db, person.member_id, day, channel_id=_int(data, "channel"))
    return flows.card_response(skipped_card(day))


async def _checkin_submit(
    kaizen: Kaizen, ctx: Context, origin: Origin, data: dict[str, Any]
) -> AdaptiveCardInvokeResponse:
    """Store the answers, or hand the form back with what is missing (nothing typed is lost)."""
    channel = await workflows.load_channel(kaizen, _int(data, "channel"))
    assert channel.id is not None
    day = _day(data)
    form = str(data.get("form") or ctx.activity.id)
    questions = workflows.questions_for(kaizen, channel)
    answers = answers_from(data, questions)
    missing = missing_required(answers, questions)
    if missing:
        names = "; ".join(f"“{user_text(q.text, 80)}”" for q in missing)
        error = f"Please answer the required question(s): {names}"
        return flows.card_response(
            checkin_card(
                questions,
                channel.name or channel.platform_id,
                channel.id,
                day,
                form=form,
                answers=answers,
                error=error,
            )
        )
    person = await who(kaizen, origin)
    occurrence = await workflows.nudge_occurrence(kaizen, channel.id, person.member_id, day)
    understood: list[str] = []
    for key, text in answers.items():
        if not text:
            continue
        stored = await record_reply(
            kaizen.db,
            channel_id=channel.id,
            member_id=person.member_id,
            anonymous=channel.anonymous,
            text=text,
            source="checkin",
            question_key=key,
            dedup_key=f"teams:form:{form}:{person.member_id}:{key}"[:255],
            occurrence_id=occurrence,
            at=kaizen.clock(),
        )
        assert stored.reply.id is not None
        phrase = flows.understood(await kaizen.analyser.analyse_reply(stored.reply.id))
        if phrase:
            understood.append(phrase)
    return flows.card_response(answered_card(understood))


async def _concern_change(
    kaizen: Kaizen, ctx: Context, origin: Origin, data: dict[str, Any], verb: str
) -> AdaptiveCardInvokeResponse:
    concern_id = _int(data, "concern_id")
    person = await who(kaizen, origin)
    name = user_text(origin.user_name or "someone", 60)
    try:
        if verb == RESOLVE_VERB:
            concern = await concerns.resolve(
                kaizen.db, concern_id, actor_id=person.member_id, clock=kaizen.clock
            )
            note = f"✅ {name} resolved concern #{concern_id}: {user_text(concern.summary, 200)}"
        else:
            concern = await concerns.assign(
                kaizen.db,
                concern_id,
                person.member_id,
                actor_id=person.member_id,
                clock=kaizen.clock,
            )
            note = f"👤 {name} now owns concern #{concern_id}."
    except InvalidTransition as exc:
        return flows.text_response(f"ℹ️ {exc}")
    return flows.card_response(await flows.refreshed_concern_card(kaizen, concern_id, data, note))


async def _concern_resolve(
    kaizen: Kaizen, ctx: Context, origin: Origin, data: dict[str, Any]
) -> AdaptiveCardInvokeResponse:
    return await _concern_change(kaizen, ctx, origin, data, RESOLVE_VERB)


async def _concern_assign(
    kaizen: Kaizen, ctx: Context, origin: Origin, data: dict[str, Any]
) -> AdaptiveCardInvokeResponse:
    """Teams has no person picker without a dialog, so *Assign* means "I'll take it"."""
    return await _concern_change(kaizen, ctx, origin, data, ASSIGN_VERB)


async def _setup_submit(
    kaizen: Kaizen, ctx: Context, origin: Origin, data: dict[str, Any]
) -> AdaptiveCardInvokeResponse:
    channel = await workflows.load_channel(kaizen, _int(data, "channel"))
    assert channel.id is not None
    values = submitted_values(data)
    known = set(kaizen.question_sets)
    errors = setup_errors(values, known)
    if errors:
        name = channel.name or channel.platform_id
        return flows.card_response(
            setup_card(channel.id, name, kaizen.question_sets, values, errors=errors)
        )
    saved = await configure_channel(
        kaizen.db, channel.id, setup_changes(values), known_question_sets=known, clock=kaizen.clock
    )
    await kaizen.channel_changed(channel.id)
    whose = "each person's own time" if saved.timezone_policy == "member" else saved.timezone
    reminder = (
        "no reminder"
        if saved.reminder_delay_minutes is None
        else f"reminder after {saved.reminder_delay_minutes} min"
    )
    by = user_text(origin.user_name or "Someone", 60)
    summary = (
        f"{by} updated Kaizen here: check-ins on {saved.checkin_days.replace(',', ', ')} at "
        f"{saved.checkin_time} ({whose}), {reminder}; digest on {saved.digest_day} at "
        f"{saved.digest_time}{'; anonymous' if saved.anonymous else ''}."
    )
    return flows.card_response(saved_card(summary))


async def _forget_confirm(
    kaizen: Kaizen, ctx: Context, origin: Origin, data: dict[str, Any]
) -> AdaptiveCardInvokeResponse:
    person = await who(kaizen, origin)
    report = await forget_member(kaizen.db, person.member_id)
    await forget_refs(kaizen.db, origin.user_id)
    text = (
        f"🗑️ Done. I deleted {report.replies} replies and {report.findings} findings of yours; "
        f"{report.concerns_unattributed} concern(s) no longer name you."
    )
    return flows.card_response(card([text_block(text)], fallback=text))


async def _forget_cancel(
    kaizen: Kaizen, ctx: Context, origin: Origin, data: dict[str, Any]
) -> AdaptiveCardInvokeResponse:
    return flows.card_response(card([text_block("Kept. Nothing was deleted.")]))


# --- the buttons of a logged entry -------------------------------------------------------------

GONE = "that entry no longer exists (it may have been undone)."
NOT_AUTHOR = "only the person who logged this entry can change its category."


async def _logged_reply(
    kaizen: Kaizen, origin: Origin, data: dict[str, Any]
) -> tuple[Reply, list[str], list[str]]:
    """The clicked entry and its current labels (wastes, concerns by confidence).

    The entry must belong to the channel the card is in: button data comes from the client,
    so a card cannot be made to show or change another channel's entries.
    """
    reply_id = _int(data, "reply")
    async with kaizen.db.session() as s:
        reply = await s.get(Reply, reply_id)
        if reply is None:
            raise NotFound(GONE)
        findings = list(await s.exec(select(Finding).where(Finding.reply_id == reply_id)))
    channel = await workflows.load_channel(kaizen, reply.channel_id)
    if origin.channel_id is None or channel.platform_id != origin.channel_id:
        raise NotFound(GONE)

    def ranked(kind: FindingKind) -> list[str]:
        chosen = [f for f in findings if f.kind == kind]
        chosen.sort(key=lambda f: (-(f.confidence or 0.0), f.label))
        return [f.label for f in chosen]

    return reply, ranked(FindingKind.WASTE), ranked(FindingKind.CONCERN)


def _labels(data: dict[str, Any], key: str, known: tuple[str, ...]) -> list[str]:
    """A multi-select's value ("a,b"; empty or absent when nothing is chosen)."""
    chosen = [x.strip() for x in str(data.get(key) or "").split(",") if x.strip()]
    unknown = [x for x in chosen if x not in known]
    if unknown:
        raise InvalidInput("this card is out of date; run the command again.")
    return chosen


async def _log_change_category(
    kaizen: Kaizen, ctx: Context, origin: Origin, data: dict[str, Any]
) -> AdaptiveCardInvokeResponse:
    reply, wastes, found = await _logged_reply(kaizen, origin, data)
    assert reply.id is not None
    if reply.member_id != (await who(kaizen, origin)).member_id:
        return flows.text_response(f"ℹ️ {NOT_AUTHOR}")
    return flows.card_response(labels_card(reply.id, reply.text, wastes, found))


async def _log_labels_submit(
    kaizen: Kaizen, ctx: Context, origin: Origin, data: dict[str, Any]
) -> AdaptiveCardInvokeResponse:
    """Store the person's labels (origin ``user``, so Kaizen learns from them); the logged
    card comes back with them."""
    reply, _, _ = await _logged_reply(kaizen, origin, data)
    assert reply.id is not None
    if reply.member_id != (await who(kaizen, origin)).member_id:
        return flows.text_response(f"ℹ️ {NOT_AUTHOR}")
    wastes = _labels(data, "wastes", WASTES)
    found = _labels(data, "concerns", CONCERNS)
    analysis = await kaizen.analyser.correct(reply.id, wastes, found)
    return flows.card_response(logged_card(analysis, reply.text, note="✏️ Category changed."))


async def _log_open_concern(
    kaizen: Kaizen, ctx: Context, origin: Origin, data: dict[str, Any]
) -> AdaptiveCardInvokeResponse:
    reply, _, found = await _logged_reply(kaizen, origin, data)
    assert reply.id is not None
    channel = await workflows.load_channel(kaizen, reply.channel_id)
    model = find_model(reply.text, channel.models)
    kind = found[0] if found else None
    return flows.card_response(open_concern_card(reply.id, kind, model, reply.text))


async def _log_concern_submit(
    kaizen: Kaizen, ctx: Context, origin: Origin, data: dict[str, Any]
) -> AdaptiveCardInvokeResponse:
    """Open the concern linked to the entry; a missing kind or summary hands the form back."""
    reply, _, _ = await _logged_reply(kaizen, origin, data)
    assert reply.id is not None
    kind = str(data.get("kind") or "").strip()
    model = str(data.get("model") or "").strip()[:MODEL_CHARS]
    summary = str(data.get("summary") or "").strip()[:SUMMARY_CHARS]
    error = None if kind else "Pick a kind."
    if not summary:
        error = "Describe the concern."
    if error:
        return flows.card_response(
            open_concern_card(reply.id, kind or None, model, summary, error=error)
        )
    person = await who(kaizen, origin)
    concern = await concerns.open_concern(
        kaizen.db,
        channel_id=reply.channel_id,
        kind=kind,
        model=model or None,
        summary=summary,
        opened_by_id=person.member_id,
        source_reply_id=reply.id,
        clock=kaizen.clock,
    )
    assert concern.id is not None
    item = concern_item(concern, {}, kaizen.clock(), kaizen.concern_sla_days)
    note = (
        f"👀 Opened concern #{concern.id} from this entry; it stays on the digest until resolved."
    )
    return flows.card_response(concern_opened_card(item, reply.channel_id, note=note))


async def _log_undo(
    kaizen: Kaizen, ctx: Context, origin: Origin, data: dict[str, Any]
) -> AdaptiveCardInvokeResponse:
    reply, _, _ = await _logged_reply(kaizen, origin, data)
    assert reply.id is not None
    await undo_reply(kaizen.db, reply.id, (await who(kaizen, origin)).member_id)
    return flows.card_response(undone_card())


async def _log_back(
    kaizen: Kaizen, ctx: Context, origin: Origin, data: dict[str, Any]
) -> AdaptiveCardInvokeResponse:
    """*Back* on either form: the logged card as it stands, nothing changed."""
    reply, _, _ = await _logged_reply(kaizen, origin, data)
    assert reply.id is not None
    analysis = await kaizen.analyser.current(reply.id)
    return flows.card_response(logged_card(analysis, reply.text))


ACTIONS: dict[str, Action] = {
    CHECKIN_OPEN: _checkin_open,
    CHECKIN_SKIP: _checkin_skip,
    CHECKIN_SUBMIT: _checkin_submit,
    RESOLVE_VERB: _concern_resolve,
    ASSIGN_VERB: _concern_assign,
    SETUP_SUBMIT: _setup_submit,
    FORGET_CONFIRM: _forget_confirm,
    FORGET_CANCEL: _forget_cancel,
    LOG_CHANGE_CATEGORY: _log_change_category,
    LOG_LABELS_SUBMIT: _log_labels_submit,
    LOG_OPEN_CONCERN: _log_open_concern,
    LOG_CONCERN_SUBMIT: _log_concern_submit,
    LOG_UNDO: _log_undo,
    LOG_BACK: _log_back,
}
