"""The App Home tab: my open concerns, my channels' recurring wastes, my next check-in."""

from __future__ import annotations

from datetime import datetime

from bot.analysis.labels import display_name
from bot.services.home import HomeData
from handlers.slack import ids
from handlers.slack.render.common import Block, actions, button, context, section
from handlers.slack.text import escape, quote

MAX_CONCERNS = 15
MAX_CHANNELS = 10


def slack_date(when: datetime) -> str:
    """A time Slack shows in each reader's own zone, with a readable fallback."""
    stamp = int(when.timestamp())
    fallback = when.strftime("%Y-%m-%d %H:%M %Z")
    return f"<!date^{stamp}^{{date_short_pretty}} at {{time}}|{fallback}>"


def home_view(data: HomeData) -> Block:
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Kaizen", "emoji": True}},
        section(
            "Name the wastes your team keeps running into, follow model health, and watch what "
            "keeps coming back. Type `/kaizen help` in any channel for everything I can do."
        ),
        actions(
            button("Answer a check-in now", ids.HOME_CHECKIN, "home", "primary"),
            button("Log a waste", ids.HOME_LOG, "home"),
            block_id="home-actions",
        ),
        {"type": "divider"},
        section("*Concerns you own*"),
    ]
    if not data.my_concerns:
        blocks.append(context("None right now. :sparkles:"))
    for channel_name, item in data.my_concerns[:MAX_CONCERNS]:
        model = f"*{quote(item.model, 80)}* · " if item.model else ""
        warn = ":warning: " if item.overdue else ""
        blocks.append(
            section(
                f"{warn}{model}{display_name(item.kind)} (#{item.id}) in #{escape(channel_name)}\n"
                f"{quote(item.summary, 280)}\n_open {item.age_days} days_"
            )
        )
    if len(data.my_concerns) > MAX_CONCERNS:
        blocks.append(context(f"…and {len(data.my_concerns) - MAX_CONCERNS} more."))
    blocks.append({"type": "divider"})
    blocks.append(section("*Your channels*"))
    if not data.channels:
        blocks.append(
            context(
                "No channels yet. Invite me to one (`/invite @Kaizen`) and run `/kaizen setup`."
            )
        )
    for ch in data.channels[:MAX_CHANNELS]:
        if ch.paused:
            when = "check-ins paused"
        elif ch.next_checkin is not None:
            when = "next check-in " + slack_date(ch.next_checkin)
        else:
            when = "no check-in days set"
        recurring = (
            "Recurring this month: "
            + ", ".join(f"{quote(label, 60)} ×{n}" for label, n in ch.recurring)
            if ch.recurring
            else "Nothing recurring this month."
        )
        blocks.append(section(f"*#{escape(ch.name)}* · {when}\n{recurring}"))
    return {"type": "home", "blocks": blocks[:100]}
