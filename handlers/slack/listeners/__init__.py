"""Slack listeners, one module per kind, each exposing ``register(app, kaizen)``."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.runtime import Kaizen
from handlers.slack.listeners import actions, commands, events, shortcuts, views


def register_all(app: AsyncApp, kaizen: Kaizen) -> None:
    for module in (commands, actions, views, shortcuts, events):
        module.register(app, kaizen)
