"""Tests for the optional LLM refinement.

Only the HTTP boundary is faked (``httpx.MockTransport``), so the real request building, retry
loop, parsing and merge code run; ``sleep`` is injected so retries record their delays instead
of waiting.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from bot.analysis.labels import CONCERNS, WASTES
from bot.analysis.llm import (
    MAX_REPLY_CHARS,
    OfflineOnly,
    OpenAICompatibleProvider,
    chat_completions_url,
    parse_retry_after,
    provider_from_settings,
)
from bot.analysis.types import Classification

Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]

OFFLINE = Classification(
    wastes={"waiting": 0.8, "motion": 0.6, "defects": 1.0},
    concerns={"serving_sla": 0.95},
)


def chat(content: str | None) -> httpx.Response:
    """A 200 chat-completions response whose first choice says ``content``."""
    return httpx.Response(
        200,
        json={
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": content}},
            ],
        },
    )


def labels(wastes: list[Any], concerns: list[Any]) -> httpx.Response:
    """A well-formed label answer (items may be non-strings, to test that they are dropped)."""
    return chat(json.dumps({"wastes": wastes, "concerns": concerns}))


class FakeServer:
    """Serves queued replies in order and records every request it saw."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not self.replies:
            raise AssertionError(f"unexpected extra request #{len(self.requests)}")
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        if callable(reply):
            return reply(request)
        return reply

    def body(self, index: int = 0) -> dict[str, Any]:
        return json.loads(self.requests[index].content)


class Sleeps:
    """Stand-in for ``asyncio.sleep`` that only records the requested delays."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def make_provider(
    server: FakeServer,
    sleeps: Sleeps,
    *,
    url: str = "http://localhost:11434/v1",
    api_key: str | None = "sk-test",
    retries: int = 2,
) -> OpenAICompatibleProvider:
    client = httpx.AsyncClient(transport=httpx.MockTransport(server))
    return OpenAICompatibleProvider(
        url, "llama3.1:8b", api_key, retries=retries, backoff=0.5, client=client, sleep=sleeps
    )


def timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("read timed out", request=request)


def refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


# --- refinement and the merge rule -----------------------------------------------------------


async def test_good_answer_refines_with_merge_rule() -> None:
    server = FakeServer(labels(["waiting", "inventory"], ["serving_sla", "drift_retraining"]))
    sleeps = Sleeps()
    async with make_provider(server, sleeps) as provider:
        result = await provider.refine(
            "blocked on review, PR still not merged", "blockers", OFFLINE
        )

    # both agree: max(offline, 0.9)
    assert result.wastes["waiting"] == 0.9
    assert result.concerns["serving_sla"] == 0.95
    # LLM only: 0.7
    assert result.wastes["inventory"] == 0.7
    assert result.concerns["drift_retraining"] == 0.7
    # offline only: halved, kept only if still >= 0.5
    assert result.wastes["defects"] == 0.5
    assert "motion" not in result.wastes
    assert set(result.wastes) == {"waiting", "inventory", "defects"}
    assert set(result.concerns) == {"serving_sla", "drift_retraining"}
    assert sleeps.delays == []
    assert len(server.requests) == 1


async def test_empty_llm_answer_keeps_only_certain_offline_labels() -> None:
    server = FakeServer(labels([], []))
    async with make_provider(server, Sleeps()) as provider:
        result = await provider.refine("all good this week", None, OFFLINE)
    assert result == Classification(wastes={"defects": 0.5}, concerns={})


async def test_offline_only_returns_offline_unchanged() -> None:
    provider = OfflineOnly()
    async with provider:
        assert await provider.refine("anything", None, OFFLINE) is OFFLINE
        assert await provider.summarise(["a"]) is None


# --- what is sent -----------------------------------------------------------------------------


async def test_request_body_and_headers() -> None:
    server = FakeServer(labels(["waiting"], []))
    async with make_provider(server, Sleeps()) as provider:
        await provider.refine("Waited two days for GPU quota", "blockers", OFFLINE)

    request = server.requests[0]
    assert request.method == "POST"
    assert str(request.url) == "http://localhost:11434/v1/chat/completions"
    assert request.headers["Authorization"] == "Bearer sk-test"
    assert "api-key" not in request.headers
    assert request.headers["Content-Type"] == "application/json"

    body = server.body()
    assert body["model"] == "llama3.1:8b"
    assert body["temperature"] == 0
    assert body["response_format"] == {"type": "json_object"}
    system, user = body["messages"]
    assert system["role"] == "system"
    for label in (*WASTES, *CONCERNS):
        assert f"- {label}: " in system["content"]
    assert '{"wastes": [...], "concerns": [...]}' in system["content"]
    assert "ONLY" in system["content"]
    assert user["role"] == "user"
    sent = json.loads(user["content"])
    assert sent == {
        "question": "blockers",
        "reply": "Waited two days for GPU quota",
        "offline_hint": {
            "wastes": ["waiting", "motion", "defects"],
            "concerns": ["serving_sla"],
        },
    }


async def test_no_api_key_sends_no_auth_headers() -> None:
    server = FakeServer(labels([], []))
    async with make_provider(server, Sleeps(), api_key=None) as provider:
        await provider.refine("x", None, Classification())
    assert "Authorization" not in server.requests[0].headers
    assert "api-key" not in server.requests[0].headers
    assert json.loads(server.body()["messages"][1]["content"])["question"] is None


async def test_azure_deployment_url_and_api_key_header() -> None:
    url = (
        "https://x.openai.azure.com/openai/deployments/gpt4o/chat/completions"
        "?api-version=2024-10-21"
    )
    server = FakeServer(labels([], []))
    async with make_provider(server, Sleeps(), url=url, api_key="azure-secret") as provider:
        await provider.refine("x", None, Classification())
    request = server.requests[0]
    assert str(request.url) == url
    assert request.url.params["api-version"] == "2024-10-21"
    assert request.headers["api-key"] == "azure-secret"
    assert request.headers["Authorization"] == "Bearer azure-secret"


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        ("http://localhost:11434/v1", "http://localhost:11434/v1/chat/completions"),
        ("http://localhost:11434/v1/", "http://localhost:11434/v1/chat/completions"),
        ("http://vllm:8000/v1", "http://vllm:8000/v1/chat/completions"),
        ("https://api.openai.com/v1", "https://api.openai.com/v1/chat/completions"),
        (
            "https://api.openai.com/v1/chat/completions",
            "https://api.openai.com/v1/chat/completions",
        ),
        (
            "https://api.openai.com/v1/chat/completions/",
            "https://api.openai.com/v1/chat/completions",
        ),
        (
            "https://x.openai.azure.com/openai/deployments/gpt4o?api-version=2024-10-21",
            "https://x.openai.azure.com/openai/deployments/gpt4o/chat/completions"
            "?api-version=2024-10-21",
        ),
    ],
)
async def test_url_joining_base_vs_full(configured: str, expected: str) -> None:
    assert str(chat_completions_url(configured)) == expected
    server = FakeServer(labels([], []))
    async with make_provider(server, Sleeps(), url=configured) as provider:
        await provider.refine("x", None, Classification())
    assert str(server.requests[0].url) == expected


async def test_very_long_reply_is_truncated() -> None:
    server = FakeServer(labels([], []))
    async with make_provider(server, Sleeps()) as provider:
        await provider.refine("a" * (MAX_REPLY_CHARS * 3), None, Classification())
    sent = json.loads(server.body()["messages"][1]["content"])["reply"]
    assert sent.startswith("a" * MAX_REPLY_CHARS)
    assert len(sent) < MAX_REPLY_CHARS + 50
    assert "truncated" in sent


# --- malformed answers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        "I think this is about waiting.",
        '{"wastes": ["waiting"',
        '["waiting"]',
        '{"wastes": "waiting", "concerns": []}',
        '{"labels": ["waiting"]}',
        "",
        None,
    ],
    ids=["prose", "truncated", "list", "string-not-list", "wrong-keys", "empty", "null"],
)
async def test_malformed_content_falls_back(
    content: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    server = FakeServer(chat(content))
    sleeps = Sleeps()
    with caplog.at_level(logging.WARNING, logger="bot.analysis.llm"):
        async with make_provider(server, sleeps) as provider:
            result = await provider.refine("x", None, OFFLINE)
    assert result is OFFLINE
    assert len(server.requests) == 1  # a bad answer is not retried
    assert sleeps.delays == []
    assert any(r.levelno == logging.WARNING for r in caplog.records)


async def test_json_in_code_fence_is_accepted() -> None:
    fenced = 'Sure!\n```json\n{"wastes": ["inventory"], "concerns": ["model_quality"]}\n```'
    server = FakeServer(chat(fenced))
    async with make_provider(server, Sleeps()) as provider:
        result = await provider.refine("x", None, Classification())
    assert result == Classification(wastes={"inventory": 0.7}, concerns={"model_quality": 0.7})


async def test_unknown_label_ids_are_dropped() -> None:
    server = FakeServer(
        labels(["waiting", "procrastination", "WAITING", 42], ["model_quality", "vibes"])
    )
    async with make_provider(server, Sleeps()) as provider:
        result = await provider.refine("x", None, Classification())
    assert result == Classification(wastes={"waiting": 0.7}, concerns={"model_quality": 0.7})


async def test_label_in_wrong_list_is_filed_under_its_kind() -> None:
    server = FakeServer(labels(["serving_sla"], ["waiting"]))
    async with make_provider(server, Sleeps()) as provider:
        result = await provider.refine("x", None, Classification())
    assert result == Classification(wastes={"waiting": 0.7}, concerns={"serving_sla": 0.7})


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, json={"choices": []}),
        httpx.Response(200, json={"error": "nope"}),
        httpx.Response(200, json={"choices": [{"index": 0}]}),
        httpx.Response(200, json=[1, 2]),
        httpx.Response(200, text="<html>gateway</html>"),
    ],
    ids=["empty-choices", "no-choices", "no-message", "list-body", "html-body"],
)
async def test_bad_response_shape_falls_back(response: httpx.Response) -> None:
    server = FakeServer(response)
    async with make_provider(server, Sleeps()) as provider:
        assert await provider.refine("x", None, OFFLINE) is OFFLINE
    assert len(server.requests) == 1


# --- retries ----------------------------------------------------------------------------------


async def test_500_then_success_retries_with_backoff() -> None:
    server = FakeServer(httpx.Response(500, text="boom"), labels(["waiting"], []))
    sleeps = Sleeps()
    async with make_provider(server, sleeps) as provider:
        result = await provider.refine("x", None, Classification())
    assert result.wastes == {"waiting": 0.7}
    assert len(server.requests) == 2
    assert sleeps.delays == [0.5]
    assert server.body(0) == server.body(1)


async def test_backoff_is_exponential() -> None:
    server = FakeServer(
        httpx.Response(502),
        httpx.Response(504),
        httpx.Response(500),
        labels(["waiting"], []),
    )
    sleeps = Sleeps()
    async with make_provider(server, sleeps, retries=3) as provider:
        result = await provider.refine("x", None, Classification())
    assert result.wastes == {"waiting": 0.7}
    assert sleeps.delays == [0.5, 1.0, 2.0]


async def test_429_retry_after_is_honoured() -> None:
    server = FakeServer(
        httpx.Response(429, headers={"Retry-After": "3"}),
        labels(["waiting"], []),
    )
    sleeps = Sleeps()
    async with make_provider(server, sleeps) as provider:
        result = await provider.refine("x", None, Classification())
    assert result.wastes == {"waiting": 0.7}
    assert sleeps.delays == [3.0]


async def test_retry_after_is_capped_and_503_honours_it() -> None:
    server = FakeServer(
        httpx.Response(503, headers={"Retry-After": "3600"}),
        labels([], ["serving_sla"]),
    )
    sleeps = Sleeps()
    async with make_provider(server, sleeps) as provider:
        result = await provider.refine("x", None, Classification())
    assert result.concerns == {"serving_sla": 0.7}
    assert sleeps.delays == [10.0]


async def test_exhausting_retries_falls_back(caplog: pytest.LogCaptureFixture) -> None:
    server = FakeServer(httpx.Response(503), httpx.Response(500), httpx.Response(429))
    sleeps = Sleeps()
    with caplog.at_level(logging.WARNING, logger="bot.analysis.llm"):
        async with make_provider(server, sleeps) as provider:
            result = await provider.refine("x", None, OFFLINE)
    assert result is OFFLINE
    assert len(server.requests) == 3
    assert sleeps.delays == [0.5, 1.0]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("429" in w and "3 attempt" in w for w in warnings)


async def test_slow_answer_falls_back() -> None:
    server = FakeServer(timeout, timeout, timeout)
    sleeps = Sleeps()
    async with make_provider(server, sleeps) as provider:
        result = await provider.refine("x", None, OFFLINE)
    assert result is OFFLINE
    assert len(server.requests) == 3
    assert sleeps.delays == [0.5, 1.0]


async def test_timeout_then_success() -> None:
    server = FakeServer(timeout, labels(["motion"], []))
    sleeps = Sleeps()
    async with make_provider(server, sleeps) as provider:
        result = await provider.refine("x", None, Classification())
    assert result.wastes == {"motion": 0.7}
    assert sleeps.delays == [0.5]


async def test_connect_error_is_retried_then_falls_back() -> None:
    server = FakeServer(refused, refused)
    sleeps = Sleeps()
    async with make_provider(server, sleeps, retries=1) as provider:
        assert await provider.refine("x", None, OFFLINE) is OFFLINE
    assert len(server.requests) == 2
    assert sleeps.delays == [0.5]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
async def test_4xx_is_not_retried(status: int, caplog: pytest.LogCaptureFixture) -> None:
    server = FakeServer(httpx.Response(status, json={"error": {"message": "model not found"}}))
    sleeps = Sleeps()
    with caplog.at_level(logging.WARNING, logger="bot.analysis.llm"):
        async with make_provider(server, sleeps) as provider:
            result = await provider.refine("x", None, OFFLINE)
    assert result is OFFLINE
    assert len(server.requests) == 1
    assert sleeps.delays == []
    assert any(str(status) in r.getMessage() for r in caplog.records)


async def test_unexpected_client_error_never_raises() -> None:
    def explode(request: httpx.Request) -> httpx.Response:
        raise RuntimeError("bug in a transport")

    server = FakeServer(explode)
    async with make_provider(server, Sleeps()) as provider:
        assert await provider.refine("x", None, OFFLINE) is OFFLINE


def test_parse_retry_after_http_date_and_garbage() -> None:
    now = datetime(2025, 1, 6, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Mon, 06 Jan 2025 12:00:04 GMT", now=now) == 4.0
    assert parse_retry_after("Mon, 06 Jan 2025 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("1.5") == 1.5
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


# --- summarise, lifecycle, settings ---------------------------------------------------------------


async def test_summarise_returns_text_and_none_on_failure() -> None:
    server = FakeServer(chat("  GPU quota waits recurred for three weeks.  "), httpx.Response(401))
    async with make_provider(server, Sleeps()) as provider:
        assert await provider.summarise(["waited on GPU quota", "waited on GPU quota again"]) == (
            "GPU quota waits recurred for three weeks."
        )
        assert await provider.summarise(["x"]) is None
        assert await provider.summarise([]) is None
    body = server.body(0)
    assert "response_format" not in body
    assert "- waited on GPU quota" in body["messages"][1]["content"]


async def test_injected_client_is_left_open_own_client_is_closed() -> None:
    client = httpx.AsyncClient(transport=httpx.MockTransport(FakeServer()))
    async with OpenAICompatibleProvider("http://x/v1", "m", client=client):
        pass
    assert not client.is_closed
    await client.aclose()

    own = OpenAICompatibleProvider("http://x/v1", "m")
    await own.aclose()
    await own.aclose()  # idempotent
    assert own._client.is_closed


async def test_repr_does_not_leak_key() -> None:
    async with OpenAICompatibleProvider("http://x/v1", "m", "sk-very-secret") as provider:
        assert "sk-very-secret" not in repr(provider)


@pytest.mark.parametrize(
    ("url", "model"),
    [
        (None, None),
        ("http://localhost:11434/v1", None),
        (None, "llama3"),
        ("", "llama3"),
        (" ", "m"),
    ],
)
def test_provider_from_settings_unconfigured_is_offline_only(
    url: str | None, model: str | None
) -> None:
    assert isinstance(provider_from_settings(url, model, "key"), OfflineOnly)


async def test_provider_from_settings_configured() -> None:
    provider = provider_from_settings("http://localhost:11434/v1", "llama3", "")
    assert isinstance(provider, OpenAICompatibleProvider)
    assert provider.model == "llama3"
    assert "Authorization" not in provider._headers
    await provider.aclose()
