"""Installs and conversation updates: remember where to reach people and teams, say hello.

Teams only lets a bot message a person or a channel it has seen, so the conversation reference
is stored as soon as the app is installed (personal app, team or group chat), before anyone
types a command; nudges and digests depend on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from microsoft_teams.api import ConversationUpdateActivity, InstalledActivity
from microsoft_teams.apps import ActivityContext, App

from bot.runtime import Kaizen
from bot.services.events import first_delivery
from handlers.teams.cards.messages import help_card
from handlers.teams.context import origin_of, save_ref
from handlers.teams.listeners import flows

if TYPE_CHECKING:
    from handlers.teams.app import TeamsHost


def register(app: App, kaizen: Kaizen, host: TeamsHost) -> None:
    @app.on_install_add
    async def installed(ctx: ActivityContext[InstalledActivity]) -> None:
        activity = ctx.activity
        if not await first_delivery(
            kaizen.db, "teams", flows.event_key(activity.conversation.id, activity.id)
        ):
            return
        origin = origin_of(activity)
        await save_ref(kaizen.db, origin)
        try:
            await ctx.send(flows.card_activity(help_card(), "Hello from Kaizen"))
        except Exception:  # the reference is what matters; the greeting is best effort
            flows.log.exception("could not greet after install")

    @app.on_conversation_update
    async def conversation_updated(ctx: ActivityContext[ConversationUpdateActivity]) -> None:
        await save_ref(kaizen.db, origin_of(ctx.activity))
