"""The Slack Web API emulator, driven over HTTP by the real slack_sdk client.

These tests pin the behaviour the bot's tests (and the sandbox) rely on: Slack's response
shapes and error codes, Block Kit validation, rate limits seen by slack_sdk's retry handler,
file uploads through ``files_upload_v2``, ``response_url`` posts and signed requests.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import builtin_async_handlers
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient

from handlers.sandbox.requests import SlackRequestFactory
from handlers.sandbox.state import SlackUser, WorkspaceState
from tests.slack.conftest import BOT_TOKEN, SIGNING_SECRET, FakeClock

SHARED = Path(__file__).resolve().parents[2].parent / "shared"

SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "How did the week go?"}}
MODAL = {
    "type": "modal",
    "callback_id": "checkin",
    "title": {"type": "plain_text", "text": "Check-in"},
    "submit": {"type": "plain_text", "text": "Send"},
    "blocks": [
        {
            "type": "input",
            "block_id": "answer",
            "label": {"type": "plain_text", "text": "What slowed you down?"},
            "element": {"type": "plain_text_input", "action_id": "text"},
        }
    ],
}
HOME = {"type": "home", "blocks": [SECTION]}


def button(action_id: str, text: str = "Answer") -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text},
        "value": "v",
    }


async def api_error(call: Any) -> AsyncSlackResponse:
    """The response of a call that slack_sdk turned into ``SlackApiError``."""
    with pytest.raises(SlackApiError) as caught:
        await call
    return caught.value.response


# ---------------------------------------------------------------------- auth and dispatch


async def test_auth_test_identifies_the_bot(slack_client: AsyncWebClient) -> None:
    resp = await slack_client.auth_test()
    assert resp["ok"] is True
    assert resp["user_id"] == "U0KAIZENBOT"
    assert resp["bot_id"] == "B0KAIZENBOT"
    assert resp["team_id"] == "T0KAIZEN01"
    assert resp["url"] == "https://kaizen-demo.slack.com/"


async def test_auth_errors_and_unknown_method(
    slack_state: WorkspaceState, start_slack_api: Callable[..., str], slack_api_url: str
) -> None:
    assert (await api_error(AsyncWebClient(base_url=slack_api_url).auth_test()))[
        "error"
    ] == "not_authed"
    guarded = start_slack_api(slack_state, tokens={BOT_TOKEN}) + "/api/"
    wrong = AsyncWebClient(token="xoxb-wrong", base_url=guarded)
    assert (await api_error(wrong.auth_test()))["error"] == "invalid_auth"
    assert (await AsyncWebClient(token=BOT_TOKEN, base_url=guarded).auth_test())["ok"]
    unknown = AsyncWebClient(token=BOT_TOKEN, base_url=slack_api_url).api_call("foo.bar")
    assert (await api_error(unknown))["error"] == "unknown_method"
    assert [c.method for c in slack_state.calls][-1] == "foo.bar"


async def test_form_bodies_with_json_fields_and_token_param(
    slack_api_url: str, slack_state: WorkspaceState
) -> None:
    async with httpx.AsyncClient() as http:
        resp = await http.post(
            slack_api_url + "chat.postMessage",
            data={"token": BOT_TOKEN, "channel": "C01MLTEAM", "blocks": json.dumps([SECTION])},
        )
    assert resp.status_code == 200
    assert resp.json()["ok"] is True
    assert slack_state.history("C01MLTEAM")[-1].blocks == [SECTION]
    assert "token" not in slack_state.calls_to("chat.postMessage")[-1].params


# ---------------------------------------------------------------------- messages


async def test_post_message_to_a_user_id_lands_in_their_dm(
    slack_client: AsyncWebClient, slack_state: WorkspaceState
) -> None:
    resp = await slack_client.chat_postMessage(channel="U02BEN", text="Time for your check-in")
    dm = resp["channel"]
    assert dm.startswith("D")
    assert slack_state.channels[dm].is_im and slack_state.channels[dm].user == "U02BEN"
    [message] = slack_state.history(dm)
    assert message.text == "Time for your check-in"
    assert message.bot_id == "B0KAIZENBOT" and message.ts == resp["ts"]
    assert resp["message"]["bot_id"] == "B0KAIZENBOT"
    opened = await slack_client.conversations_open(users="U02BEN")
    assert opened["channel"]["id"] == dm and opened["already_open"] is True


async def test_ts_is_unique_and_increasing_on_a_frozen_clock(
    slack_client: AsyncWebClient,
) -> None:
    first = await slack_client.chat_postMessage(channel="C01MLTEAM", text="one")
    second = await slack_client.chat_postMessage(channel="C01MLTEAM", text="two")
    assert first["ts"] == "1700000000.000000"
    assert float(second["ts"]) > float(first["ts"])


async def test_thread_update_delete_permalink_and_ephemeral(
    slack_client: AsyncWebClient, slack_state: WorkspaceState
) -> None:
    parent = await slack_client.chat_postMessage(channel="C01MLTEAM", text="Digest")
    reply = await slack_client.chat_postMessage(
        channel="C01MLTEAM", text="Details", thread_ts=parent["ts"]
    )
    assert [m.ts for m in slack_state.thread("C01MLTEAM", parent["ts"])] == [
        parent["ts"],
        reply["ts"],
    ]
    assert [m.text for m in slack_state.history("C01MLTEAM")] == ["Digest"]

    updated = await slack_client.chat_update(
        channel="C01MLTEAM", ts=parent["ts"], text="Digest (edited)", blocks=[SECTION]
    )
    assert updated["message"]["edited"]["user"] == "U0KAIZENBOT"
    assert slack_state.find_message("C01MLTEAM", parent["ts"]).text == "Digest (edited)"

    link = await slack_client.chat_getPermalink(channel="C01MLTEAM", message_ts=reply["ts"])
    assert link["permalink"].startswith("https://kaizen-demo.slack.com/archives/C01MLTEAM/p")
    assert f"thread_ts={parent['ts']}" in link["permalink"]

    await slack_client.chat_delete(channel="C01MLTEAM", ts=reply["ts"])
    assert slack_state.thread("C01MLTEAM", parent["ts"])[-1].ts == parent["ts"]
    missing = slack_client.chat_update(channel="C01MLTEAM", ts="1.000001", text="x")
    assert (await api_error(missing))["error"] == "message_not_found"

    eph = await slack_client.chat_postEphemeral(channel="C01MLTEAM", user="U03PRIYA", text="psst")
    assert [m.text for m in slack_state.history("C01MLTEAM", "U03PRIYA")][-1] == "psst"
    assert eph["message_ts"] not in [m.ts for m in slack_state.history("C01MLTEAM", "U01ANNA")]
    outsider = slack_client.chat_postEphemeral(channel="C01MLTEAM", user="U05MAYA", text="x")
    assert (await api_error(outsider))["error"] == "user_not_in_channel"


async def test_bot_cannot_post_where_it_is_not_a_member(
    slack_client: AsyncWebClient, slack_state: WorkspaceState
) -> None:
    slack_state.add_channel("C09SECRET", "secret", ["U01ANNA"], bot_member=False)
    err = await api_error(slack_client.chat_postMessage(channel="C09SECRET", text="hi"))
    assert err["error"] == "not_in_channel"
    err = await api_error(slack_client.chat_postMessage(channel="C404", text="hi"))
    assert err["error"] == "channel_not_found"


async def test_invalid_blocks_are_rejected_and_recorded(
    slack_client: AsyncWebClient, slack_state: WorkspaceState
) -> None:
    assert slack_state.invalid_payloads == []
    bad_payloads: list[list[dict[str, Any]]] = [
        [{"type": "section"}],  # neither text nor fields
        [{"type": "actions", "elements": [button("a", "x" * 76)]}],  # nested: button text > 75
        [{"type": "section", "text": "a plain string"}],  # Slack wants a text object
        [{"type": "no_such_block"}],
        [SECTION] * 51,
        [{**SECTION, "block_id": "same"}, {**SECTION, "block_id": "same"}],
    ]
    for blocks in bad_payloads:
        err = await api_error(
            slack_client.chat_postMessage(channel="C01MLTEAM", text="x", blocks=blocks)
        )
        assert err["error"] == "invalid_blocks"
        assert err["errors"]
    assert len(slack_state.invalid_payloads) == len(bad_payloads)
    assert {m for m, _ in slack_state.invalid_payloads} == {"chat.postMessage"}
    assert slack_state.history("C01MLTEAM") == []
    ok = await slack_client.chat_postMessage(channel="C01MLTEAM", text="x", blocks=[SECTION] * 50)
    assert ok["ok"]


async def test_text_longer_than_40000_chars_is_rejected(
    slack_client: AsyncWebClient, slack_state: WorkspaceState
) -> None:
    err = await api_error(slack_client.chat_postMessage(channel="C01MLTEAM", text="x" * 40_001))
    assert err["error"] == "msg_too_long"
    assert slack_state.invalid_payloads == [("chat.postMessage", "msg_too_long")]
    assert (await slack_client.chat_postMessage(channel="C01MLTEAM", text="x" * 40_000))["ok"]


async def test_link_names_and_parse_full_are_forbidden(
    slack_client: AsyncWebClient, slack_state: WorkspaceState
) -> None:
    for extra in ({"link_names": True}, {"parse": "full"}):
        err = await api_error(slack_client.chat_postMessage(channel="C01MLTEAM", text="x", **extra))
        assert err["error"] == "link_names_forbidden_in_kaizen"
    assert [e for _, e in slack_state.invalid_payloads] == ["link_names_forbidden_in_kaizen"] * 2
    assert (await slack_client.chat_postMessage(channel="C01MLTEAM", text="x", link_names=False))[
        "ok"
    ]


# ---------------------------------------------------------------------- users and channels


async def test_users_info_has_time_zone_and_admin_flag(slack_client: AsyncWebClient) -> None:
    priya = (await slack_client.users_info(user="U03PRIYA"))["user"]
    assert priya["tz"] == "Asia/Kolkata" and priya["tz_offset"] == 19_800
    assert priya["profile"]["real_name"] == "Priya Raman"
    assert priya["profile"]["display_name"] == "Priya"
    assert priya["is_admin"] is False and priya["is_bot"] is False
    anna = (await slack_client.users_info(user="U01ANNA"))["user"]
    assert anna["is_admin"] is True and anna["tz"] == "Europe/Berlin"
    assert anna["tz_offset"] == 3600  # 14 November 2023: winter time
    bot = (await slack_client.users_info(user="U0KAIZENBOT"))["user"]
    assert bot["is_bot"] is True
    assert (await api_error(slack_client.users_info(user="U999")))["error"] == "user_not_found"


async def test_conversations_members_pages_with_cursor(
    slack_client: AsyncWebClient, slack_state: WorkspaceState
) -> None:
    people = [f"U1{i:03d}" for i in range(7)]
    for user_id in people:
        slack_state.add_user(SlackUser(user_id, user_id.lower(), user_id, "UTC", 0))
    slack_state.add_channel("C05BIG", "big", people)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        resp = await slack_client.conversations_members(channel="C05BIG", limit=3, cursor=cursor)
        seen.extend(resp["members"])
        pages += 1
        cursor = resp["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert pages == 3
    assert seen == [*people, "U0KAIZENBOT"]
    bad = slack_client.conversations_members(channel="C05BIG", cursor="bm9wZQ==")
    assert (await api_error(bad))["error"] == "invalid_cursor"
    info = await slack_client.conversations_info(channel="C05BIG")
    assert info["channel"]["name"] == "big" and info["channel"]["is_member"] is True


# ---------------------------------------------------------------------- views


async def test_views_open_needs_a_fresh_trigger_from_slack(
    slack_client: AsyncWebClient,
    slack_factory: SlackRequestFactory,
    slack_state: WorkspaceState,
    slack_clock: FakeClock,
) -> None:
    trigger = slack_factory.slash_command("U01ANNA", "C01MLTEAM", "setup").form()["trigger_id"]
    resp = await slack_client.views_open(trigger_id=trigger, view=MODAL)
    view = resp["view"]
    assert view["id"].startswith("V") and view["callback_id"] == "checkin"
    assert view["state"] == {"values": {}} and view["hash"]
    assert slack_state.open_modal("U01ANNA").id == view["id"]

    again = await api_error(slack_client.views_open(trigger_id=trigger, view=MODAL))
    assert again["error"] == "exchanged_trigger_id"
    bogus = await api_error(slack_client.views_open(trigger_id="123.456.abc", view=MODAL))
    assert bogus["error"] == "invalid_trigger_id"
    late = slack_factory.slash_command("U01ANNA", "C01MLTEAM", "setup").form()["trigger_id"]
    slack_clock.advance(4)
    expired = await api_error(slack_client.views_open(trigger_id=late, view=MODAL))
    assert expired["error"] == "expired_trigger_id"


async def test_invalid_view_is_rejected_and_recorded(
    slack_client: AsyncWebClient, slack_factory: SlackRequestFactory, slack_state: WorkspaceState
) -> None:
    trigger = slack_factory.slash_command("U01ANNA", "C01MLTEAM", "setup").form()["trigger_id"]
    too_long_title = {**MODAL, "title": {"type": "plain_text", "text": "x" * 25}}
    err = await api_error(slack_client.views_open(trigger_id=trigger, view=too_long_title))
    assert err["error"] == "invalid_blocks"
    assert slack_state.invalid_payloads and slack_state.invalid_payloads[0][0] == "views.open"
    too_many = {**HOME, "blocks": [SECTION] * 101}
    err = await api_error(slack_client.views_publish(user_id="U01ANNA", view=too_many))
    assert err["error"] == "invalid_blocks"


async def test_views_update_honours_hash_and_external_id(
    slack_client: AsyncWebClient, slack_factory: SlackRequestFactory
) -> None:
    trigger = slack_factory.slash_command("U02BEN", "C01MLTEAM", "checkin").form()["trigger_id"]
    opened = (
        await slack_client.views_open(trigger_id=trigger, view={**MODAL, "external_id": "ck-1"})
    )["view"]
    updated = (
        await slack_client.views_update(view_id=opened["id"], hash=opened["hash"], view=MODAL)
    )["view"]
    assert updated["id"] == opened["id"] and updated["hash"] != opened["hash"]
    stale = slack_client.views_update(view_id=opened["id"], hash=opened["hash"], view=MODAL)
    assert (await api_error(stale))["error"] == "hash_conflict"
    by_external = await slack_client.views_update(external_id="ck-1", view=MODAL)
    assert by_external["view"]["id"] == opened["id"]
    missing = slack_client.views_update(view_id="V404", view=MODAL)
    assert (await api_error(missing))["error"] == "not_found"


async def test_views_push_stacks_up_to_three(
    slack_client: AsyncWebClient, slack_factory: SlackRequestFactory, slack_state: WorkspaceState
) -> None:
    first = slack_factory.slash_command("U02BEN", "C01MLTEAM", "setup").form()["trigger_id"]
    root = (await slack_client.views_open(trigger_id=first, view=MODAL))["view"]
    for expected_depth in (2, 3):
        click = slack_factory.block_action(
            "U02BEN",
            button("more"),
            container=slack_factory.view_container(root),
            view=slack_state.open_modal("U02BEN"),
        )
        pushed = await slack_client.views_push(trigger_id=click.payload["trigger_id"], view=MODAL)
        assert pushed["view"]["root_view_id"] == root["id"]
        assert len(slack_state.modal_stacks["U02BEN"]) == expected_depth
    click = slack_factory.block_action(
        "U02BEN", button("more"), container=slack_factory.view_container(root), view=root
    )
    over = slack_client.views_push(trigger_id=click.payload["trigger_id"], view=MODAL)
    assert (await api_error(over))["error"] == "push_limit_reached"


async def test_views_publish_home_per_user(
    slack_client: AsyncWebClient, slack_state: WorkspaceState, slack_factory: SlackRequestFactory
) -> None:
    first = (await slack_client.views_publish(user_id="U04OLIVER", view=HOME))["view"]
    assert first["type"] == "home"
    again = (await slack_client.views_publish(user_id="U04OLIVER", view=HOME))["view"]
    assert again["id"] == first["id"] and again["hash"] != first["hash"]
    assert slack_state.home_view("U04OLIVER").id == first["id"]
    assert slack_state.home_view("U05MAYA") is None
    stale = slack_client.views_publish(user_id="U04OLIVER", view=HOME, hash=first["hash"])
    assert (await api_error(stale))["error"] == "hash_conflict"
    modal_as_home = slack_client.views_publish(user_id="U04OLIVER", view=MODAL)
    assert (await api_error(modal_as_home))["error"] == "invalid_blocks"
    opened = slack_factory.app_home_opened("U04OLIVER").payload["event"]
    assert opened["view"]["id"] == first["id"] and opened["tab"] == "home"


# ---------------------------------------------------------------------- files


async def test_files_upload_v2_posts_the_file_into_the_channel(
    slack_client: AsyncWebClient, slack_state: WorkspaceState
) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    resp = await slack_client.files_upload_v2(
        channel="C01MLTEAM",
        content=png,
        filename="chart.png",
        title="Wastes by week",
        initial_comment="This week's chart",
    )
    file_id = resp["file"]["id"]
    assert resp["file"]["title"] == "Wastes by week"
    assert resp["file"]["mimetype"] == "image/png"
    stored = slack_state.files[file_id]
    assert stored.content == png and stored.channels == ["C01MLTEAM"]
    [message] = slack_state.history("C01MLTEAM")
    assert message.files == [file_id] and message.text == "This week's chart"
    assert [c.method for c in slack_state.calls] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]
    async with httpx.AsyncClient() as http:
        download = await http.get(stored.url_private)
    assert download.content == png


async def test_upload_endpoint_accepts_multipart(
    slack_client: AsyncWebClient, slack_state: WorkspaceState
) -> None:
    url = await slack_client.files_getUploadURLExternal(filename="a.txt", length=5)
    async with httpx.AsyncClient() as http:
        resp = await http.post(url["upload_url"], files={"file": ("a.txt", b"hello")})
    assert resp.status_code == 200
    assert slack_state.files[url["file_id"]].content == b"hello"


async def test_complete_upload_requires_an_uploaded_file(slack_client: AsyncWebClient) -> None:
    url = await slack_client.files_getUploadURLExternal(filename="a.txt", length=5)
    early = slack_client.files_completeUploadExternal(
        files=[{"id": url["file_id"], "title": "a"}], channel_id="C01MLTEAM"
    )
    assert (await api_error(early))["error"] == "file_not_found"


# ---------------------------------------------------------------------- response_url


async def test_response_url_replace_original_and_friends(
    slack_client: AsyncWebClient, slack_factory: SlackRequestFactory, slack_state: WorkspaceState
) -> None:
    nudge = await slack_client.chat_postMessage(
        channel="U02BEN",
        text="Check-in time",
        blocks=[SECTION, {"type": "actions", "elements": [button("answer")]}],
    )
    message = slack_state.find_message(nudge["channel"], nudge["ts"])
    click = slack_factory.block_action(
        "U02BEN",
        button("answer"),
        container=slack_factory.message_container(message),
        message=message,
    )
    payload = click.payload
    assert payload["type"] == "block_actions" and payload["channel"]["id"] == nudge["channel"]
    assert payload["message"]["ts"] == nudge["ts"]
    assert payload["actions"][0]["action_id"] == "answer"

    webhook = AsyncWebhookClient(payload["response_url"])
    done = await webhook.send(text="Thanks, answered", replace_original=True)
    assert done.status_code == 200
    replaced = slack_state.find_message(nudge["channel"], nudge["ts"])
    assert replaced.text == "Thanks, answered" and replaced.blocks is None and replaced.updated

    await webhook.send(text="Only you can see this")
    assert slack_state.history(nudge["channel"], "U02BEN")[-1].ephemeral_to == "U02BEN"
    await webhook.send(text="Everyone sees this", response_type="in_channel")
    assert slack_state.history(nudge["channel"])[-1].text == "Everyone sees this"
    await webhook.send(delete_original=True)
    assert slack_state.find_message(nudge["channel"], nudge["ts"]) is None
    await webhook.send(text="fifth")
    sixth = await webhook.send(text="sixth")
    assert sixth.status_code == 404 and json.loads(sixth.body)["error"] == "used_url"
    bad = AsyncWebhookClient(
        slack_factory.slash_command("U02BEN", "C01MLTEAM", "").form()["response_url"]
    )
    invalid = await bad.send(text="x", blocks=[{"type": "section"}])
    assert invalid.status_code == 400
    assert slack_state.invalid_payloads[-1][0] == "response_url"


# ---------------------------------------------------------------------- rate limits


async def test_injected_rate_limit_reaches_the_client(
    slack_client: AsyncWebClient, slack_state: WorkspaceState
) -> None:
    slack_state.inject_rate_limit("chat.postMessage", times=1, retry_after=7)
    err = await api_error(slack_client.chat_postMessage(channel="C01MLTEAM", text="x"))
    assert err.status_code == 429
    assert err.headers["Retry-After"] == "7"
    assert err["error"] == "ratelimited"
    assert (await slack_client.chat_postMessage(channel="C01MLTEAM", text="x"))["ok"]
    assert [c.status for c in slack_state.calls_to("chat.postMessage")] == [429, 200]


async def test_retry_handler_rides_out_an_injected_429(
    slack_api_url: str, slack_state: WorkspaceState, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The handler sleeps Retry-After plus up to 1 s of jitter; drop the jitter for speed.
    monkeypatch.setattr(builtin_async_handlers.random, "random", lambda: 0.0)
    slack_state.inject_rate_limit("users.info", times=1, retry_after=0)
    client = AsyncWebClient(
        token=BOT_TOKEN,
        base_url=slack_api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)],
    )
    resp = await client.users_info(user="U01ANNA")
    assert resp["ok"]
    assert [c.status for c in slack_state.calls_to("users.info")] == [429, 200]


async def test_enforced_post_message_limit_is_per_channel(
    slack_state: WorkspaceState,
    slack_clock: FakeClock,
    start_slack_api: Callable[..., str],
    slack_api_url: str,
) -> None:
    limited = AsyncWebClient(
        token=BOT_TOKEN, base_url=start_slack_api(slack_state, enforce_limits=True) + "/api/"
    )
    statuses = []
    for i in range(5):
        try:
            await limited.chat_postMessage(channel="C01MLTEAM", text=f"burst {i}")
            statuses.append(200)
        except SlackApiError as exc:
            statuses.append(exc.response.status_code)
            assert int(exc.response.headers["Retry-After"]) >= 1
    assert statuses == [200, 200, 200, 429, 429]
    for channel in ("C02PLATFORM", "C03RANDOM", "U01ANNA", "U02BEN"):
        assert (await limited.chat_postMessage(channel=channel, text="spread out"))["ok"]
    slack_clock.advance(1)
    assert (await limited.chat_postMessage(channel="C01MLTEAM", text="later"))["ok"]


async def test_enforced_tier_limit_on_users_info(
    slack_state: WorkspaceState, slack_clock: FakeClock, start_slack_api: Callable[..., str]
) -> None:
    limited = AsyncWebClient(
        token=BOT_TOKEN, base_url=start_slack_api(slack_state, enforce_limits=True) + "/api/"
    )
    for _ in range(100):
        await limited.users_info(user="U01ANNA")
    err = await api_error(limited.users_info(user="U01ANNA"))
    assert err.status_code == 429
    assert err.headers["Retry-After"] == "1"  # 100/min refills one every 0.6 s
    slack_clock.advance(0.6)
    assert (await limited.users_info(user="U01ANNA"))["ok"]


# ---------------------------------------------------------------------- signed requests


def test_signatures_verify_and_tampering_does_not(slack_factory: SlackRequestFactory) -> None:
    verifier = SignatureVerifier(SIGNING_SECRET)
    for request in (
        slack_factory.slash_command("U01ANNA", "C01MLTEAM", "log waiting 2 days for GPUs"),
        slack_factory.dm_message("U01ANNA", "blocked on review"),
    ):
        ts = request.headers["X-Slack-Request-Timestamp"]
        sig = request.headers["X-Slack-Signature"]
        assert sig.startswith("v0=")
        assert verifier.is_valid(request.body, ts, sig)
        assert not verifier.is_valid(request.body + b"&x=1", ts, sig)
        assert not SignatureVerifier("other-secret").is_valid(request.body, ts, sig)


def test_slash_command_fields(slack_factory: SlackRequestFactory) -> None:
    form = slack_factory.slash_command("U03PRIYA", "C01MLTEAM", "concern fraud-v2 drift")
    fields = form.form()
    assert form.content_type == "application/x-www-form-urlencoded"
    assert fields["command"] == "/kaizen" and fields["text"] == "concern fraud-v2 drift"
    assert fields["user_name"] == "priya" and fields["channel_name"] == "ml-team"
    assert fields["team_id"] == "T0KAIZEN01" and fields["is_enterprise_install"] == "false"
    assert fields["response_url"].startswith("http://127.0.0.1:")
    assert fields["trigger_id"] in slack_factory.state.triggers


def test_events_match_slacks_wrapper_and_carry_retries(
    slack_factory: SlackRequestFactory, slack_state: WorkspaceState
) -> None:
    request = slack_factory.dm_message("U05MAYA", "waiting on data again", client_msg_id="m-1")
    event = request.payload["event"]
    assert event["channel_type"] == "im" and event["client_msg_id"] == "m-1"
    assert event["channel"] == slack_state.im_for("U05MAYA").id
    assert slack_state.history(event["channel"])[-1].user == "U05MAYA"
    assert "X-Slack-Retry-Num" not in request.headers
    retry = slack_factory.retry(request, retry_num=1)
    assert retry.payload["event_id"] == request.payload["event_id"]
    assert retry.headers["X-Slack-Retry-Num"] == "1"
    assert retry.headers["X-Slack-Retry-Reason"] == "http_timeout"
    reply = slack_factory.dm_message("U05MAYA", "more", thread_ts=event["ts"])
    assert reply.payload["event"]["parent_user_id"] == "U05MAYA"
    schema_path = SHARED / "slack" / "event-wrapper-schema.json"
    if schema_path.exists():
        schema = json.loads(schema_path.read_text())
        for signed in (request, retry, reply, slack_factory.app_home_opened("U05MAYA")):
            jsonschema.validate(json.loads(signed.body), schema)


def test_shortcut_and_view_submission_payloads(
    slack_factory: SlackRequestFactory, slack_state: WorkspaceState
) -> None:
    message = slack_state.post_message("C02PLATFORM", "the deploy waited 3h", user="U05MAYA")
    shortcut = slack_factory.message_shortcut("U04OLIVER", "C02PLATFORM", message).payload
    assert shortcut["type"] == "message_action" and shortcut["callback_id"] == "log_waste"
    assert shortcut["message"]["text"] == "the deploy waited 3h"
    assert shortcut["message_ts"] == message.ts and shortcut["channel"]["name"] == "platform"
    submitted = slack_factory.view_submission(
        "U04OLIVER", {**MODAL, "private_metadata": "C02PLATFORM"}, {"answer": {"text": "3h"}}
    ).payload
    assert submitted["type"] == "view_submission"
    view = submitted["view"]
    assert view["callback_id"] == "checkin" and view["private_metadata"] == "C02PLATFORM"
    assert view["state"]["values"]["answer"]["text"] == {"type": "plain_text_input", "value": "3h"}
    assert view["id"] and view["hash"]


def test_on_change_listeners_hear_about_messages(slack_state: WorkspaceState) -> None:
    heard: list[tuple[str, dict[str, Any]]] = []
    slack_state.on_change.append(lambda kind, data: heard.append((kind, data)))
    slack_state.on_change.append(lambda kind, data: 1 / 0)  # a broken UI must not break Slack
    message = slack_state.post_message("C03RANDOM", "hello", user="U01ANNA")
    assert ("message.posted", {"channel": "C03RANDOM", "ts": message.ts}) in heard


# ---------------------------------------------------------------------- with Bolt


async def test_bolt_app_round_trip(
    slack_api_url: str, slack_factory: SlackRequestFactory, slack_state: WorkspaceState
) -> None:
    """A Bolt AsyncApp verifies the factory's signature and talks back to the emulator."""
    app = AsyncApp(
        signing_secret=SIGNING_SECRET,
        client=AsyncWebClient(token=BOT_TOKEN, base_url=slack_api_url),
    )

    @app.command("/kaizen")
    async def kaizen(ack: Any, body: dict[str, Any], client: AsyncWebClient, respond: Any) -> None:
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=MODAL)
        await respond("Opening the check-in")

    request = slack_factory.slash_command("U02BEN", "C01MLTEAM", "checkin")
    response = await app.async_dispatch(
        AsyncBoltRequest(body=request.text, headers=request.headers)
    )
    assert response.status == 200
    assert slack_state.open_modal("U02BEN") is not None
    assert slack_state.history("C01MLTEAM", "U02BEN")[-1].text == "Opening the check-in"
    assert slack_state.invalid_payloads == []
    tampered = AsyncBoltRequest(body=request.text + "x", headers=request.headers)
    assert (await app.async_dispatch(tampered)).status == 401
