"""The sandbox's own API, without a browser: every action reaches the bot as Slack would send it,
and what the bot does shows up in the workspace the page draws."""

from __future__ import annotations

import json
from typing import Any

from handlers.sandbox.requests import SlackRequestFactory
from tests.sandbox.conftest import Running, eventually

ML = "C0DEMOML01"
TOMAS, MEI, JONAS = "U0DEMO002", "U0DEMO003", "U0DEMO004"


def text_of(message: dict[str, Any]) -> str:
    """Everything a person reads in a message: its text and every text in its blocks."""
    parts = [message.get("text") or ""]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in {"mrkdwn", "plain_text"} and "text" in node:
                parts.append(str(node["text"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.get("blocks") or [])
    return "\n".join(parts)


def action_ids(message: dict[str, Any]) -> list[str]:
    return [
        element.get("action_id", "")
        for block in message.get("blocks") or []
        if block.get("type") == "actions"
        for element in block["elements"]
    ]


def test_a_command_answers_only_the_person_who_typed_it(sandbox: Running) -> None:
    response = sandbox.http.post(
        "/sandbox/api/command", json={"user": MEI, "channel": ML, "text": "help"}
    )
    assert response.status_code == 200 and response.json()["ok"], response.text

    def answer() -> dict[str, Any] | None:
        mine = [m for m in sandbox.conversation(MEI, ML)["messages"] if m["ephemeral"]]
        return next((m for m in mine if "/kaizen log" in text_of(m)), None)

    assert eventually(answer)
    others = sandbox.conversation(JONAS, ML)["messages"]
    assert not any("/kaizen log" in text_of(m) for m in others if m["ephemeral"])


def test_the_seeded_digest_is_posted_with_its_chart_and_buttons(sandbox: Running) -> None:
    first = sandbox.conversation(MEI, ML)["messages"][0]
    assert "Kaizen digest" in text_of(first) and "Recurring wastes" in text_of(first)
    assert {"concern_resolve", "concern_assign"} <= set(action_ids(first))
    chart = next(f for reply in first["replies"] for f in reply["files"])
    image = sandbox.http.get(chart["url"])
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    assert sandbox.sandbox.state.invalid_payloads == []


def test_run_next_moves_the_clock_and_sends_nudges(sandbox: Running) -> None:
    before = sandbox.state(TOMAS)["clock"]["offset"]

    def nudged() -> bool:
        sent = sandbox.http.post("/sandbox/api/next").json()
        assert sent["at"] is not None and not sent["failed"], sent
        return sent["sent"].get("nudge", 0) > 0

    eventually(nudged, within=60.0)
    assert sandbox.state(TOMAS)["clock"]["offset"] > before
    dms = [sandbox.im(user)["messages"] for user in (TOMAS, MEI, JONAS)]
    assert any("checkin_answer" in action_ids(m) for messages in dms for m in messages)


def test_a_modal_submission_error_comes_back_inline(sandbox: Running) -> None:
    sandbox.http.post(
        "/sandbox/api/command", json={"user": JONAS, "channel": ML, "text": "checkin"}
    )
    modal = eventually(lambda: sandbox.state(JONAS)["modal"])
    assert modal["callback_id"] and modal["submit"]["text"] == "Send"
    empty = {
        block["block_id"]: {"text_input": {"type": "plain_text_input", "value": ""}}
        for block in modal["blocks"]
        if block["type"] == "input"
    }
    response = sandbox.http.post(
        "/sandbox/api/submit", json={"user": JONAS, "view_id": modal["id"], "values": empty}
    )
    assert response.status_code == 200, response.text
    still_open = sandbox.state(JONAS)["modal"]
    assert still_open["id"] == modal["id"] and still_open["errors"]
    sandbox.http.post("/sandbox/api/close", json={"user": JONAS, "view_id": modal["id"]})
    assert sandbox.state(JONAS)["modal"] is None


def test_a_direct_message_reaches_the_bot_as_an_event(sandbox: Running) -> None:
    im = sandbox.im(TOMAS)["id"]
    sandbox.http.post("/sandbox/api/message", json={"user": TOMAS, "channel": im, "text": "hi"})

    def answered() -> bool:
        return any(
            m["is_bot"] and "/kaizen help" in m["text"] for m in sandbox.im(TOMAS)["messages"]
        )

    assert eventually(answered)


def test_the_bot_only_accepts_requests_signed_with_the_sandbox_secret(sandbox: Running) -> None:
    box = sandbox.sandbox
    forged = SlackRequestFactory("not-the-secret", box.state, f"{sandbox.url}/sandbox/slack")
    request = forged.slash_command(MEI, ML, "log forged")
    response = sandbox.http.post("/slack/events", content=request.body, headers=request.headers)
    assert response.status_code == 401
    genuine = box.factory.slash_command(MEI, ML, "help")
    response = sandbox.http.post("/slack/events", content=genuine.body, headers=genuine.headers)
    assert response.status_code == 200
    settings = sandbox.server.kaizen.settings
    assert settings.slack_signing_secret == box.signing_secret
    assert settings.slack_api_url == f"{sandbox.url}/sandbox/slack/api/"


def test_the_page_and_its_assets_are_served_without_a_cdn(sandbox: Running) -> None:
    page = sandbox.http.get("/sandbox")
    assert page.status_code == 200 and "Run next scheduled event" in page.text
    for asset in ("app.js", "app.css"):
        assert sandbox.http.get(f"/sandbox/static/{asset}").status_code == 200
    assert "http" not in page.text  # nothing loaded from elsewhere
    assert json.loads(sandbox.http.get("/healthz").text)["database"] == "up"


def test_a_change_while_a_snapshot_is_built_is_fetched_by_the_next_poll(
    sandbox: Running, monkeypatch: Any
) -> None:
    """The page polls with the version it drew; a message the bot posts while a snapshot is
    being built must not be hidden behind an "unchanged" answer."""
    scheduler = sandbox.server.scheduler
    real_next_due = scheduler.next_due

    async def next_due_while_the_bot_posts(now: Any) -> Any:
        sandbox.sandbox.touch()  # what posting a message does, in the middle of the snapshot
        return await real_next_due(now)

    monkeypatch.setattr(scheduler, "next_due", next_due_while_the_bot_posts)
    drawn = sandbox.http.get("/sandbox/api/state", params={"user": MEI}).json()
    monkeypatch.setattr(scheduler, "next_due", real_next_due)
    again = sandbox.http.get(
        "/sandbox/api/state", params={"user": MEI, "since": drawn["version"]}
    ).json()
    assert not again.get("unchanged")
    assert again["version"] > drawn["version"]
