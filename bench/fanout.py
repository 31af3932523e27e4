"""How many Web API calls a 500-member nudge makes, and how long it takes under Slack's limits.

Runs the real scheduler and the real Slack messenger (slack_sdk client with the rate-limit
retry handler) against the bundled Slack emulator, twice in one run:
  baseline  — the emulator without rate limits;
  limited   — the emulator enforcing Slack's published limits (chat.postMessage about one per
              second per channel with a small burst, Tier 3/4 limits for the other methods).
It prints calls per method, 429s seen, wall time and the ratio of the two times.

    .venv/bin/python bench/fanout.py [--members 500]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import uvicorn
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import migrate
from bot.db import Database
from bot.prompts import load_question_sets
from bot.schedule.scheduler import Scheduler
from bot.services import directory
from bot.services.channels import ChannelChanges, configure_channel
from handlers.sandbox.slack_api import create_slack_api
from handlers.sandbox.state import SlackUser, WorkspaceState
from handlers.slack.messenger import SlackMessenger

NOW = datetime(2026, 11, 30, 9, 31, tzinfo=UTC)


def serve(app: object) -> tuple[uvicorn.Server, str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))  # type: ignore[arg-type]
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    return server, f"http://127.0.0.1:{sock.getsockname()[1]}/api/"


async def run_once(members: int, enforce: bool, workdir: Path) -> tuple[float, Counter[str], int]:
    state = WorkspaceState()
    users = [f"U{i:05d}" for i in range(members)]
    for uid in users:
        state.add_user(SlackUser(id=uid, name=uid, real_name=uid, tz="UTC", tz_offset=0))
    state.add_channel("C0BIG", "big-team", users)
    server, api_url = serve(create_slack_api(state, enforce_limits=enforce))

    url = f"sqlite:///{workdir / ('limited.db' if enforce else 'baseline.db')}"
    migrate.upgrade(url)
    db = Database(url)
    ws = await directory.ensure_workspace(db, "slack", state.team_id)
    channel = await directory.ensure_channel(db, ws.id or 0, "C0BIG", "big-team")
    await configure_channel(
        db,
        channel.id or 0,
        ChannelChanges(timezone="UTC", timezone_policy="channel", reminders_off=True),
    )
    for uid in users:
        member = await directory.ensure_member(db, ws.id or 0, uid, uid, "UTC")
        await directory.set_channel_membership(db, channel.id or 0, member.id or 0)
    client = AsyncWebClient(
        token="xoxb-bench",
        base_url=api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=3)],
    )
    messenger = SlackMessenger(client)

    async def messenger_for(_platform: str, _team: str) -> SlackMessenger:
        return messenger

    scheduler = Scheduler(db, load_question_sets(Path("prompts")), messenger_for, clock=lambda: NOW)
    started = time.perf_counter()
    report = await scheduler.run_due()
    elapsed = time.perf_counter() - started
    assert report.count("nudge") == members, report
    calls = Counter(c.method for c in state.calls)
    limited = sum(1 for c in state.calls if c.status == 429)
    await db.dispose()
    server.should_exit = True
    return elapsed, calls, limited


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base_time, base_calls, _ = await run_once(args.members, False, Path(tmp))
        time_, calls, limited = await run_once(args.members, True, Path(tmp))
    print(f"nudging {args.members} members (one channel, DMs, opening post)")
    print(f"baseline (no limits): {base_time:.2f} s, calls {dict(base_calls)}")
    print(f"Slack limits enforced: {time_:.2f} s, calls {dict(calls)}, 429s {limited}")
    print(
        f"ratio limited/baseline: {time_ / base_time:.2f}x; "
        f"{sum(calls.values()) / args.members:.2f} Web API calls per member"
    )


if __name__ == "__main__":
    asyncio.run(main())
