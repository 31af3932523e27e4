"""Teams listeners, one module per kind, each exposing ``register(app, kaizen, host)``.

``host`` (the ``TeamsHost``) is passed along because a few answers go beyond the current turn
(``digest post`` opens a new post in the channel rather than answering in the thread).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from microsoft_teams.apps import App

from bot.runtime import Kaizen
from handlers.teams.listeners import actions, install, messages

if TYPE_CHECKING:
    from handlers.teams.app import TeamsHost


def register_all(app: App, kaizen: Kaizen, host: TeamsHost) -> None:
    for module in (messages, actions, install):
        module.register(app, kaizen, host)
