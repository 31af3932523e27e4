"""How the core speaks to a chat platform, and a fake of it for tests.

The core never builds Block Kit or Adaptive Cards. It hands a platform-free ``Message`` (plain
text that always reads well on its own, plus an optional core data object such as a digest or a
nudge) to a ``Messenger``; each adapter renders the data object for its platform.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class MessageRef:
    """Where a sent message lives, so it can be updated or replied to in a thread."""

    conversation: str
    message_id: str


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with a message, e.g. the digest's chart."""

    filename: str
    content: bytes
    title: str = ""
    mime_type: str = "image/png"


@dataclass(frozen=True, slots=True)
class Message:
    """Platform-free content: ``text`` is the fallback every platform can show; ``content`` is
    the core object an adapter renders richly (a ``Digest``, a nudge, a concern...)."""

    text: str
    content: Any = None
    attachments: tuple[Attachment, ...] = ()


class MessengerError(Exception):
    """The platform refused or could not be reached; ``retryable`` tells the scheduler."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


class RateLimited(MessengerError):
    """HTTP 429: wait ``retry_after`` seconds before the next call to that platform."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited; retry after {retry_after:g}s", retryable=True)
        self.retry_after = retry_after


@runtime_checkable
class Messenger(Protocol):
    """What the scheduler and services need from a chat platform."""

    platform: str

    async def send_dm(self, user_id: str, message: Message) -> MessageRef:
        """Send a direct message to one person (opening the conversation if needed)."""

    async def post(
        self, channel_id: str, message: Message, *, thread: MessageRef | None = None
    ) -> MessageRef:
        """Post in a channel, or in the thread of ``thread`` when given."""

    async def update(self, ref: MessageRef, message: Message) -> None:
        """Replace a message the bot sent earlier."""


@dataclass
class SentMessage:
    """One call recorded by ``FakeMessenger``."""

    action: str
    target: str
    message: Message
    ref: MessageRef
    thread: MessageRef | None = None


@dataclass
class FakeMessenger:
    """An in-memory platform for tests: records every call, can be told to fail.

    ``fail_next`` holds exceptions to raise on the next calls, in order, so a test can script
    "429, then success" without any network.
    """

    platform: str = "fake"
    sent: list[SentMessage] = field(default_factory=list)
    fail_next: list[Exception] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def _record(
        self, action: str, target: str, message: Message, thread: MessageRef | None = None
    ) -> MessageRef:
        if self.fail_next:
            raise self.fail_next.pop(0)
        ref = MessageRef(conversation=target, message_id=f"m{next(self._ids)}")
        self.sent.append(SentMessage(action, target, message, ref, thread))
        return ref

    async def send_dm(self, user_id: str, message: Message) -> MessageRef:
        return self._record("dm", user_id, message)

    async def post(
        self, channel_id: str, message: Message, *, thread: MessageRef | None = None
    ) -> MessageRef:
        return self._record("post", channel_id, message, thread)

    async def update(self, ref: MessageRef, message: Message) -> None:
        if self.fail_next:
            raise self.fail_next.pop(0)
        self.sent.append(SentMessage("update", ref.conversation, message, ref))

    def to(self, target: str) -> list[SentMessage]:
        """Everything sent to one user or channel, oldest first."""
        return [m for m in self.sent if m.target == target]
