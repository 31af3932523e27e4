"""Fan-out within a platform's rate limits: paced calls, 429s waited out, nothing dropped."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from bot.messenger import MessengerError, RateLimited

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")
Sleep = Callable[[float], Awaitable[None]]
Monotonic = Callable[[], float]


@dataclass
class Pacer:
    """Runs one call per item, at most ``rate`` calls per second, retrying rate-limited ones.

    A 429 (``RateLimited``) pauses *every* caller for ``retry_after`` seconds, the way Slack
    and Teams expect, then the same item is tried again; only after ``max_attempts`` does an
    item count as failed. ``sleep`` and ``monotonic`` are injectable so tests never wait.
    """

    rate: float = 20.0
    max_attempts: int = 6
    sleep: Sleep = asyncio.sleep
    monotonic: Monotonic = field(default_factory=lambda: asyncio.get_running_loop().time)
    waited: float = 0.0  # total seconds spent pacing or backing off, for reports
    calls: int = 0
    rate_limited: int = 0

    async def run(
        self, items: Sequence[T], call: Callable[[T], Awaitable[R]]
    ) -> tuple[list[tuple[T, R]], list[tuple[T, Exception]]]:
        done: list[tuple[T, R]] = []
        failed: list[tuple[T, Exception]] = []
        interval = 1.0 / self.rate if self.rate > 0 else 0.0
        next_at = self.monotonic()
        for item in items:
            for attempt in range(1, self.max_attempts + 1):
                now = self.monotonic()
                if now < next_at:
                    await self._wait(next_at - now)
                next_at = max(now, next_at) + interval
                self.calls += 1
                try:
                    done.append((item, await call(item)))
                    break
                except RateLimited as exc:
                    self.rate_limited += 1
                    log.info("rate limited; waiting %.1fs (attempt %d)", exc.retry_after, attempt)
                    await self._wait(max(exc.retry_after, interval))
                    next_at = self.monotonic()
                    if attempt == self.max_attempts:
                        failed.append((item, exc))
                except MessengerError as exc:
                    if exc.retryable and attempt < self.max_attempts:
                        await self._wait(min(30.0, 2.0**attempt))
                        continue
                    failed.append((item, exc))
                    break
        return done, failed

    async def _wait(self, seconds: float) -> None:
        self.waited += seconds
        await self.sleep(seconds)
