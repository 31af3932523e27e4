"""How long a weekly digest takes as the replies table grows: 10k, 100k, 1M replies.

Generates replies spread over 200 channels and 52 weeks (with findings, themes, members and
concerns), then times ``build_digest`` for a sample of channels at each size, on SQLite and on
PostgreSQL (when one answers at 127.0.0.1:5432). A *probe* channel keeps the same 150 replies in
its six-week window at every size, so its time shows whether cost follows the channel's window
(flat) or the table (growing). Figures are printed as milliseconds and as ratios to the 10k run
of the same backend, measured in the same process.

    .venv/bin/python bench/digest.py                 # all sizes, both databases
    .venv/bin/python bench/digest.py --sizes 10000 100000 --backends sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import insert, text
from sqlalchemy.engine import Engine, make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import migrate
from bot.analysis.labels import CONCERNS, WASTES
from bot.db import Database, make_sync_engine
from bot.digests.build import build_digest
from bot.models import Channel, Concern, Finding, Member, Reply, Theme, Workspace
from bot.timeutil import iso_week

CHANNELS = 200
WEEKS = 52
MEMBERS_PER_CHANNEL = 8
THEMES_PER_CHANNEL = 12
LAST_MONDAY = date(2026, 11, 23)
FIRST_MONDAY = LAST_MONDAY - timedelta(weeks=WEEKS - 1)
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
PROBE_REPLIES = 150
SAMPLE_CHANNELS = 20
WORDS = [
    "waited",
    "review",
    "quota",
    "gpu",
    "flaky",
    "deploy",
    "rollback",
    "handoff",
    "ticket",
]


class Generator:
    """Writes the synthetic history with Core bulk inserts (COPY on PostgreSQL)."""

    def __init__(self, url: str, seed: int = 7) -> None:
        self.url = url
        self.engine: Engine = make_sync_engine(url)
        self.rng = random.Random(seed)
        self.next_reply = 1
        self.members: dict[int, list[int]] = {}
        self.themes: dict[int, list[int]] = {}
        self.probe_channel = 0

    def setup(self) -> None:
        now = NOW
        with self.engine.begin() as conn:
            conn.execute(
                insert(Workspace.__table__),
                [
                    {
                        "id": 1,
                        "platform": "slack",
                        "external_id": "T1",
                        "name": "bench",
                        "created_at": now,
                    }
                ],
            )
            channels = [
                {
                    "id": c,
                    "workspace_id": 1,
                    "platform_id": f"C{c:05d}",
                    "name": f"team-{c}",
                    "timezone": "UTC",
                    "timezone_policy": "member",
                    "question_sets": ["standup"],
                    "checkin_days": "mon,tue,wed,thu,fri",
                    "checkin_time": "09:30",
                    "reminder_delay_minutes": 120,
                    "answer_window_minutes": 480,
                    "digest_day": "fri",
                    "digest_time": "16:00",
                    "anonymous": False,
                    "paused": False,
                    "models": [],
                    "skip_dates": [],
                    "created_at": now,
                    "updated_at": now,
                }
                for c in range(1, CHANNELS + 2)
            ]
            conn.execute(insert(Channel.__table__), channels)
            self.probe_channel = CHANNELS + 1
            members, themes, concerns = [], [], []
            mid = tid = 0
            for c in range(1, CHANNELS + 2):
                self.members[c], self.themes[c] = [], []
                for _ in range(MEMBERS_PER_CHANNEL):
                    mid += 1
                    members.append(
                        {
                            "id": mid,
                            "workspace_id": 1,
                            "platform_user_id": f"U{mid:06d}",
                            "display_name": f"Person {mid}",
                            "timezone": None,
                            "created_at": now,
                        }
                    )
                    self.members[c].append(mid)
                for k in range(THEMES_PER_CHANNEL):
                    tid += 1
                    themes.append(
                        {
                            "id": tid,
                            "channel_id": c,
                            "key": f"theme-{k}",
                            "label": f"Theme {k}",
                            "profile": {},
                            "reply_count": 0,
                            "first_seen": now,
                            "last_seen": now,
                        }
                    )
                    self.themes[c].append(tid)
                for k in range(5):
                    opened = NOW - timedelta(days=self.rng.randint(1, 300))
                    resolved = k % 2 == 0
                    concerns.append(
                        {
                            "channel_id": c,
                            "kind": CONCERNS[k % len(CONCERNS)],
                            "model": f"model-{k}",
                            "summary": "p99 latency over budget",
                            "status": "resolved" if resolved else "open",
                            "owner_id": None,
                            "opened_by_id": None,
                            "resolved_by_id": None,
                            "source_reply_id": None,
                            "opened_at": opened,
                            "last_mentioned_at": opened,
                            "resolved_at": (opened + timedelta(days=5)) if resolved else None,
                        }
                    )
            conn.execute(insert(Member.__table__), members)
            conn.execute(insert(Theme.__table__), themes)
            conn.execute(insert(Concern.__table__), concerns)
        self._write(self._probe_rows())

    def _probe_rows(self) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
        rows = []
        for i in range(PROBE_REPLIES):
            day = LAST_MONDAY - timedelta(days=i % 42)
            rows.append(self._reply(self.probe_channel, day))
        return rows

    def _reply(self, channel: int, day: date) -> tuple[dict[str, Any], dict[str, Any] | None]:
        rid = self.next_reply
        self.next_reply += 1
        at = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(
            hours=self.rng.randint(8, 18), minutes=self.rng.randint(0, 59)
        )
        has_waste = self.rng.random() < 0.7
        reply = {
            "id": rid,
            "channel_id": channel,
            "member_id": self.rng.choice(self.members[channel]),
            "anonymous": False,
            "question_key": "wastes.waiting",
            "text": " ".join(self.rng.choices(WORDS, k=12)),
            "source": "checkin",
            "dedup_key": f"r{rid}",
            "theme_id": self.rng.choice(self.themes[channel]) if has_waste else None,
            "created_at": at,
        }
        finding = (
            {
                "reply_id": rid,
                "kind": "waste",
                "label": self.rng.choice(WASTES),
                "confidence": 0.8,
                "hours_lost": self.rng.choice([None, 2.0, 8.0]),
                "origin": "offline",
            }
            if has_waste
            else None
        )
        return reply, finding

    def grow_to(self, total: int) -> None:
        """Add replies (over all regular channels and weeks) until the table holds ``total``."""
        batch: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
        while self.next_reply <= total:
            channel = self.rng.randint(1, CHANNELS)
            day = FIRST_MONDAY + timedelta(days=self.rng.randint(0, WEEKS * 7 - 3))
            batch.append(self._reply(channel, day))
            if len(batch) >= 50_000:
                self._write(batch)
                batch = []
        if batch:
            self._write(batch)
        with self.engine.begin() as conn:
            conn.execute(text("ANALYZE"))

    def _write(self, rows: list[tuple[dict[str, Any], dict[str, Any] | None]]) -> None:
        replies = [r for r, _ in rows]
        findings = [f for _, f in rows if f is not None]
        if make_url(self.url).get_backend_name() == "postgresql":
            self._copy(replies, findings)
            return
        with self.engine.begin() as conn:
            conn.execute(insert(Reply.__table__), replies)
            conn.execute(insert(Finding.__table__), findings)

    def _copy(self, replies: list[dict[str, Any]], findings: list[dict[str, Any]]) -> None:
        raw = self.engine.raw_connection()
        try:
            cur = raw.cursor()
            for table, rows in (("replies", replies), ("findings", findings)):
                cols = list(rows[0])
                with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row([_naive_utc(row[c]) for c in cols])
            raw.commit()
        finally:
            raw.close()


def _naive_utc(value: Any) -> Any:
    """COPY bypasses the ORM's UTC column type, so do its conversion here."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


async def time_digests(url: str, channels: list[int], repeat: int = 3) -> float:
    """Median milliseconds per digest over the given channels (after one warm-up)."""
    db = Database(url)
    try:
        await build_digest(db, channels[0], iso_week(LAST_MONDAY), clock=lambda: NOW)
        samples = []
        for _ in range(repeat):
            for channel in channels:
                t0 = time.perf_counter()
                await build_digest(db, channel, iso_week(LAST_MONDAY), clock=lambda: NOW)
                samples.append((time.perf_counter() - t0) * 1000)
        return statistics.median(samples)
    finally:
        await db.dispose()


def fresh_database(backend: str, workdir: Path) -> tuple[str, Any]:
    if backend == "sqlite":
        url = f"sqlite:///{workdir / 'bench.db'}"
        return url, lambda: None
    admin = None
    for user in ("postgres", "root"):
        try:
            candidate = f"postgresql://{user}@127.0.0.1:5432/test"
            with psycopg.connect(candidate, connect_timeout=2):
                admin = candidate
                break
        except psycopg.Error:
            continue
    if admin is None:
        raise RuntimeError("PostgreSQL does not answer at 127.0.0.1:5432")
    name = f"kaizen_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return make_url(admin).set(database=name).render_as_string(hide_password=False), drop


def run(backend: str, sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url, drop = fresh_database(backend, Path(tmp))
        try:
            migrate.upgrade(url)
            gen = Generator(url)
            gen.setup()
            sample = random.Random(1).sample(range(1, CHANNELS + 1), SAMPLE_CHANNELS)
            base_typical = base_probe = None
            print(
                f"\n{backend}: replies | typical channel ms (x first) "
                "| probe channel ms (x first) | load s"
            )
            for size in sizes:
                t0 = time.perf_counter()
                gen.grow_to(size)
                load = time.perf_counter() - t0
                typical = asyncio.run(time_digests(url, sample))
                probe = asyncio.run(time_digests(url, [gen.probe_channel], repeat=10))
                base_typical = base_typical or typical
                base_probe = base_probe or probe
                print(
                    f"{backend}: {size:>9,} | {typical:8.1f} ({typical / base_typical:5.2f}x) "
                    f"| {probe:8.1f} ({probe / base_probe:5.2f}x) | {load:6.1f}",
                    flush=True,
                )
        finally:
            gen.engine.dispose()
            drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    args = parser.parse_args()
    print(
        f"{CHANNELS} channels, {WEEKS} weeks; digest of week {iso_week(LAST_MONDAY)}; "
        f"median of {SAMPLE_CHANNELS} channels x 3 runs; probe channel has {PROBE_REPLIES} replies"
    )
    for backend in args.backends:
        run(backend, sorted(args.sizes))


if __name__ == "__main__":
    main()
