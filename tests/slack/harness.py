"""The bot's real ASGI app wired to the Slack emulator, for end-to-end tests.

Requests are built and signed as Slack sends them and POSTed to ``/slack/events``; the bot
answers through the real slack_sdk client at ``SLACK_API_URL`` (the emulator), where the tests
look at what a user would see.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from handlers.sandbox.requests import SignedRequest, SlackRequestFactory
from handlers.sandbox.state import SlackMessage, WorkspaceState
from handlers.server import Server

PROMPTS = Path(__file__).resolve().parents[2] / "prompts"
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday, 11:00 in Berlin


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Bot:
    server: Server
    http: httpx.AsyncClient
    slack: WorkspaceState
    factory: SlackRequestFactory
    clock: Clock

    async def send(self, request: SignedRequest) -> httpx.Response:
        return await self.http.post("/slack/events", content=request.body, headers=request.headers)

    async def command(self, user: str, channel: str, text: str) -> httpx.Response:
        response = await self.send(self.factory.slash_command(user, channel, text))
        assert response.status_code == 200, response.text
        return response

    def ephemeral(self, channel: str, user: str) -> list[SlackMessage]:
        """Messages only ``user`` sees in ``channel`` (answers to their commands)."""
        return [m for m in self.slack.history(channel, user) if m.ephemeral_to == user]

    def dms(self, user: str) -> list[SlackMessage]:
        im = self.slack.find_im(user)
        return [] if im is None else self.slack.history(im.id, include_replies=True)

    def calls(self, method: str) -> list[Any]:
        return self.slack.calls_to(method)


async def eventually(check: Callable[[], Any], within: float = 10.0) -> Any:
    """Wait for the work a listener does after its 3-second acknowledgement to show.

    Bolt answers Slack as soon as ``ack()`` runs and finishes the rest in the background, so a
    test polls for the outcome (what a user would see) instead of sleeping a fixed time.
    """
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {within}s: {check}")
        await asyncio.sleep(0.01)


def text_of(message: SlackMessage) -> str:
    """Everything a person reads in a message: its text and every text in its blocks."""
    parts = [message.text or ""]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in {"mrkdwn", "plain_text"} and "text" in node:
                parts.append(str(node["text"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.blocks or [])
    return "\n".join(parts)


def buttons(message: SlackMessage) -> dict[str, str]:
    """action_id -> value of the buttons in a message."""
    found = {}
    for block in message.blocks or []:
        if block.get("type") == "actions":
            for element in block["elements"]:
                found[element["action_id"]] = element.get("value", "")
    return found
