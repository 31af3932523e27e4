"""Optional LLM refinement of the offline labels: off unless configured, never required.

The offline analyser is deterministic and always runs; an LLM, when an operator points
``KAIZEN_LLM_URL`` / ``KAIZEN_LLM_MODEL`` at one, only *refines* its answer because it reads
context (negation, sarcasm, "we used to wait, now we don't") better than keyword rules. The
bot must keep working when the LLM is down, slow, rate-limited or answers nonsense, so every
provider here returns the offline classification unchanged on any failure instead of raising,
and logs a warning saying why.

``OpenAICompatibleProvider`` speaks the OpenAI chat-completions wire format, which Ollama,
vLLM, OpenAI and Azure OpenAI all accept, so one small client covers self-hosted and cloud
models without pulling in a vendor SDK.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Final, Protocol, Self

import httpx

from bot.analysis.labels import CONCERNS, WASTES
from bot.analysis.types import Classification

log = logging.getLogger(__name__)

# One-line meanings from shared/taxonomy.md, so the model sees the same definitions people do.
LABEL_MEANINGS: Final[dict[str, str]] = {
    "waiting": "idle time blocked on someone or something (review, approvals, environments, "
    "GPU quota, data access, CI queues, another team, a vendor)",
    "defects": "redoing work because something was wrong (bugs, failed deploys, broken "
    "pipelines, flaky tests, hotfixes, retraining after a data bug, rollback)",
    "overproduction": "building what nobody uses or asked for (unused features, unread "
    "dashboards, models trained but never shipped, speculative generality)",
    "overprocessing": "more effort than the value needs (gold plating, duplicate approvals, "
    "manual steps that could be automated, redundant reports, relearning)",
    "inventory": "work started but not delivered (long-lived branches, unmerged PRs, "
    "half-finished experiments, models waiting to be deployed, stale tickets)",
    "motion": "effort lost moving attention (context switching, interruptions, hunting for "
    "docs or credentials, too many tools or meetings)",
    "transportation": "work or data moved between people, teams or systems with loss "
    "(over-the-wall handoffs, copying data between stores, ticket ping-pong)",
    "unused_talent": "people's skills and ideas not used (not consulted, ideas ignored, "
    "experts doing menial work, no time to improve things)",
    "model_quality": "the model's absolute performance (accuracy, F1, RMSE, precision/recall, "
    "regressions, bad predictions)",
    "serving_sla": "deployment performance against SLAs (latency, load, throughput, "
    "scalability, availability, timeouts)",
    "training_scale": "training and retraining performance and scalability (slow or costly "
    "training, OOM, pipeline duration)",
    "drift_retraining": "model drift and how retraining is addressed (data or concept drift, "
    "stale models, retraining cadence)",
    "explainability": "stakeholders or regulators cannot understand or interpret predictions",
    "security_privacy": "security of data and model (PII, access control, secrets, data "
    "residency of new regions, compliance)",
    "statistical_validity": "statistical assumptions and formulation (leakage, biased samples, "
    "wrong evaluation, significance)",
}

# Merge rule constants; see OpenAICompatibleProvider.refine for why these values.
AGREED_MIN_CONFIDENCE: Final[float] = 0.9
LLM_ONLY_CONFIDENCE: Final[float] = 0.7
OFFLINE_ONLY_FACTOR: Final[float] = 0.5
OFFLINE_ONLY_KEEP_AT: Final[float] = 0.5

MAX_REPLY_CHARS: Final[int] = 4_000
"""Replies longer than this are cut before sending: bounds cost and latency, and the labels of
a check-in reply are almost always evident from its first few paragraphs."""

MAX_RETRY_AFTER: Final[float] = 10.0
"""Cap on any single wait, including a server's ``Retry-After``: a check-in acknowledgement
should not hang for minutes on a busy LLM when the offline answer is already good."""

MAX_SUMMARY_ITEMS: Final[int] = 50
MAX_SUMMARY_ITEM_CHARS: Final[int] = 500

_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)\s*```", re.DOTALL)
_CHAT_PATH: Final[str] = "/chat/completions"

SYSTEM_PROMPT: Final[str] = (
    "You label check-in replies from a software / machine-learning team with Lean wastes and "
    "MLOps concerns. A reply can have zero, one or several of each.\n\n"
    "Wastes:\n"
    + "\n".join(f"- {label}: {LABEL_MEANINGS[label]}" for label in WASTES)
    + "\n\nMLOps concerns:\n"
    + "\n".join(f"- {label}: {LABEL_MEANINGS[label]}" for label in CONCERNS)
    + "\n\nOnly label what the reply actually reports as a problem; ignore problems it says "
    "are solved or did not happen. The user message is JSON with the check-in question key, "
    "the reply text and the labels an offline keyword analyser suggested (a hint that may be "
    "wrong or incomplete). Answer ONLY with a JSON object of the form "
    '{"wastes": [...], "concerns": [...]} using only the ids listed above, no prose.'
)

SUMMARY_PROMPT: Final[str] = (
    "You write the short narrative at the top of a weekly continuous-improvement digest for a "
    "software / machine-learning team. Given the bullet points, write 2 to 4 plain sentences "
    "naming the most important recurring problems and one concrete next step. No headings, no "
    "lists, no blame on individuals."
)


class LLMProvider(Protocol):
    """Something that can refine an offline classification; must never raise on failure."""

    async def refine(
        self, text: str, question: str | None, offline: Classification
    ) -> Classification:
        """Return a refined classification of ``text``, or ``offline`` unchanged on any failure."""

    async def summarise(self, items: list[str]) -> str | None:
        """Return a short digest narrative for ``items``, or ``None`` on any failure."""

    async def aclose(self) -> None:
        """Release network resources; safe to call more than once."""


class OfflineOnly:
    """The default provider: no LLM configured, so the offline answer is the answer."""

    async def refine(
        self, text: str, question: str | None, offline: Classification
    ) -> Classification:
        return offline

    async def summarise(self, items: list[str]) -> str | None:
        return None

    async def aclose(self) -> None:
        return None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class LLMError(Exception):
    """Internal: why an LLM call was abandoned; caught in the public methods, never escapes."""


def chat_completions_url(url: str) -> httpx.URL:
    """Turn ``KAIZEN_LLM_URL`` into the chat-completions endpoint.

    Operators paste either an API base (``http://localhost:11434/v1``) or the full endpoint
    (OpenAI or an Azure deployment URL with ``?api-version=``); accept both so neither has to
    read our docs to get it right. Query parameters are preserved.
    """
    parsed = httpx.URL(url.strip())
    path = parsed.path.rstrip("/")
    if not path.endswith(_CHAT_PATH):
        path = path + _CHAT_PATH
    return parsed.copy_with(path=path)


def is_azure_host(url: httpx.URL) -> bool:
    """Azure OpenAI authenticates with an ``api-key`` header rather than a bearer token."""
    host = url.host.lower()
    return host.endswith(".openai.azure.com") or host.endswith(".cognitiveservices.azure.com")


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date), capped.

    Returns ``None`` when absent or unparseable so the caller falls back to its own backoff.
    """
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def parse_labels(content: str | None) -> tuple[list[str], list[str]]:
    """Read the model's ``{"wastes": [...], "concerns": [...]}`` answer.

    Tolerates a Markdown ```json fence and prose around it (small local models add both),
    silently drops unknown ids (models invent labels) and files a known id under its real kind
    even if the model put it in the other list. Raises ``LLMError`` when the answer is not a
    JSON object of that shape, so the caller keeps the offline answer.
    """
    if not isinstance(content, str) or not content.strip():
        raise LLMError("empty message content")
    body = content.strip()
    fenced = _FENCE.search(body)
    if fenced:
        body = fenced.group(1)
    elif not body.startswith("{") and "{" in body and "}" in body:
        body = body[body.index("{") : body.rindex("}") + 1]
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise LLMError(f"answer is not JSON: {exc.msg}") from exc
    if not isinstance(data, dict):
        raise LLMError(f"answer is a JSON {type(data).__name__}, expected an object")
    if "wastes" not in data and "concerns" not in data:
        raise LLMError("answer has neither 'wastes' nor 'concerns'")
    found: list[str] = []
    for key in ("wastes", "concerns"):
        values = data.get(key, [])
        if values is None:
            values = []
        if not isinstance(values, list):
            raise LLMError(f"'{key}' is a {type(values).__name__}, expected a list")
        found.extend(v.strip() for v in values if isinstance(v, str))
    unknown = sorted({v for v in found if v not in WASTES and v not in CONCERNS})
    if unknown:
        log.debug("LLM answer had unknown label ids, dropped: %s", ", ".join(unknown))
    wastes = [label for label in WASTES if label in found]
    concerns = [label for label in CONCERNS if label in found]
    return wastes, concerns


def merge(offline: Classification, wastes: list[str], concerns: list[str]) -> Classification:
    """Combine offline confidences with the LLM's label sets (rule in ``refine``'s docstring)."""
    return Classification(
        wastes=_merge_kind(offline.wastes, wastes),
        concerns=_merge_kind(offline.concerns, concerns),
    )


def _merge_kind(offline: dict[str, float], llm: list[str]) -> dict[str, float]:
    merged: dict[str, float] = {}
    for label, confidence in offline.items():
        if label in llm:
            merged[label] = max(confidence, AGREED_MIN_CONFIDENCE)
        else:
            demoted = confidence * OFFLINE_ONLY_FACTOR
            if demoted >= OFFLINE_ONLY_KEEP_AT:
                merged[label] = demoted
    for label in llm:
        if label not in offline:
            merged[label] = LLM_ONLY_CONFIDENCE
    return merged


class OpenAICompatibleProvider:
    """LLM refinement over any OpenAI-compatible chat-completions endpoint.

    Works with Ollama (``http://localhost:11434/v1``), vLLM, OpenAI and Azure OpenAI
    deployment URLs. Failures of every kind (network, timeouts, 4xx/5xx, malformed answers)
    end in the offline answer plus a warning log, never an exception, because the LLM is an
    optional improvement and a check-in must be recorded regardless.

    Retries connect errors, timeouts, 429 and 5xx up to ``retries`` extra times, waiting
    ``backoff * 2**attempt`` seconds, or the server's ``Retry-After`` on 429/503; every wait is
    capped at ``MAX_RETRY_AFTER``. Other 4xx are not retried: a bad key or model name will not
    fix itself. ``client`` and ``sleep`` are injectable so tests run the real request code
    against ``httpx.MockTransport`` without real waiting.
    """

    def __init__(
        self,
        url: str,
        model: str,
        api_key: str | None = None,
        *,
        timeout: float = 10.0,
        retries: int = 2,
        backoff: float = 0.5,
        client: httpx.AsyncClient | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.endpoint = chat_completions_url(url)
        self.model = model
        self.timeout = timeout
        self.retries = max(0, retries)
        self.backoff = max(0.0, backoff)
        self._sleep = sleep
        self._owns_client = client is None
        self._client = client if client is not None else httpx.AsyncClient(timeout=timeout)
        self._headers: dict[str, str] = {"Content-Type": "application/json"}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
            if is_azure_host(self.endpoint):
                self._headers["api-key"] = api_key

    def __repr__(self) -> str:  # never show the key
        return f"OpenAICompatibleProvider(endpoint={str(self.endpoint)!r}, model={self.model!r})"

    async def refine(
        self, text: str, question: str | None, offline: Classification
    ) -> Classification:
        """Ask the LLM for the labels of ``text`` and merge them with the offline answer.

        Merge rule, per label:

        * given by both: confidence ``max(offline, 0.9)``; two independent readers agree;
        * given only by the LLM: ``0.7``; it reads context (negation, what is already fixed)
          better than keyword rules, so trust it, but below an agreed label;
        * given only offline: ``offline * 0.5``, kept only if that is still ``>= 0.5``; the
          LLM's disagreement usually means the keyword matched out of context, so only labels
          the offline analyser was certain of survive. That is the safety net: a model that
          misses something obvious cannot erase an unambiguous offline hit.

        On any failure the ``offline`` classification is returned unchanged.
        """
        try:
            content = await self._chat(
                [
                    {"role": "system", "content": SYSTEM_PROMPT},
                    {"role": "user", "content": self._user_content(text, question, offline)},
                ],
                json_mode=True,
            )
            wastes, concerns = parse_labels(content)
        except LLMError as exc:
            log.warning("LLM refinement skipped, keeping offline labels: %s", exc)
            return offline
        except Exception as exc:  # the promise is "never raises"; cancellation still propagates
            log.warning(
                "LLM refinement failed unexpectedly, keeping offline labels: %s: %s",
                type(exc).__name__,
                exc,
            )
            return offline
        return merge(offline, wastes, concerns)

    async def summarise(self, items: list[str]) -> str | None:
        """A 2-4 sentence narrative for a digest, or ``None`` so the digest goes out without one."""
        if not items:
            return None
        bullets = "\n".join(
            f"- {item.strip()[:MAX_SUMMARY_ITEM_CHARS]}" for item in items[:MAX_SUMMARY_ITEMS]
        )
        try:
            content = await self._chat(
                [
                    {"role": "system", "content": SUMMARY_PROMPT},
                    {"role": "user", "content": bullets},
                ],
                json_mode=False,
            )
        except LLMError as exc:
            log.warning("LLM digest summary skipped: %s", exc)
            return None
        except Exception as exc:
            log.warning("LLM digest summary failed unexpectedly: %s: %s", type(exc).__name__, exc)
            return None
        summary = content.strip() if isinstance(content, str) else ""
        if not summary:
            log.warning("LLM digest summary skipped: empty answer")
            return None
        return summary

    async def aclose(self) -> None:
        """Close the HTTP client if this provider created it; an injected one belongs to the
        caller."""
        if self._owns_client and not self._client.is_closed:
            await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    @staticmethod
    def _user_content(text: str, question: str | None, offline: Classification) -> str:
        reply = text if len(text) <= MAX_REPLY_CHARS else text[:MAX_REPLY_CHARS] + " […truncated]"
        payload = {
            "question": question,
            "reply": reply,
            "offline_hint": {
                "wastes": list(offline.wastes),
                "concerns": list(offline.concerns),
            },
        }
        return json.dumps(payload, ensure_ascii=False)

    async def _chat(self, messages: list[dict[str, str]], *, json_mode: bool) -> str | None:
        """POST one chat completion with retries; return ``choices[0].message.content``."""
        body: dict[str, Any] = {"model": self.model, "messages": messages, "temperature": 0}
        if json_mode:
            body["response_format"] = {"type": "json_object"}
        response = await self._post_with_retries(body)
        try:
            data = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise LLMError("response body is not JSON") from exc
        choices = data.get("choices") if isinstance(data, dict) else None
        if not isinstance(choices, list) or not choices:
            raise LLMError("response has no choices")
        first = choices[0]
        message = first.get("message") if isinstance(first, dict) else None
        if not isinstance(message, dict):
            raise LLMError("response choice has no message")
        content = message.get("content")
        if content is not None and not isinstance(content, str):
            raise LLMError("response message content is not text")
        return content

    async def _post_with_retries(self, body: dict[str, Any]) -> httpx.Response:
        attempts = self.retries + 1
        reason = "no attempt made"
        for attempt in range(attempts):
            retry_after: float | None = None
            try:
                response = await self._client.post(
                    self.endpoint, json=body, headers=self._headers, timeout=self.timeout
                )
            except httpx.TimeoutException as exc:
                reason = f"timed out after {self.timeout:g}s ({type(exc).__name__})"
            except httpx.TransportError as exc:
                reason = f"{type(exc).__name__}: {exc}"
            else:
                status = response.status_code
                if response.is_success:
                    return response
                reason = f"HTTP {status} from {self.endpoint.host}"
                if status != 429 and status < 500:
                    raise LLMError(f"{reason}: {_snippet(response)} (not retried)")
                if status in (429, 503):
                    retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if attempt + 1 < attempts:
                delay = retry_after if retry_after is not None else self.backoff * 2**attempt
                delay = min(delay, MAX_RETRY_AFTER)
                log.info(
                    "LLM call attempt %d/%d failed (%s); retrying in %.2fs",
                    attempt + 1,
                    attempts,
                    reason,
                    delay,
                )
                await self._sleep(delay)
        raise LLMError(f"gave up after {attempts} attempt(s): {reason}")


def _snippet(response: httpx.Response, limit: int = 200) -> str:
    """Start of an error body for the log: enough to see 'model not found' or 'invalid key'."""
    try:
        text = response.text
    except Exception:
        return "<unreadable body>"
    text = " ".join(text.split())
    return text[:limit] + ("…" if len(text) > limit else "")


def provider_from_settings(url: str | None, model: str | None, api_key: str | None) -> LLMProvider:
    """``OpenAICompatibleProvider`` when both URL and model are set, else ``OfflineOnly``.

    Blank strings count as unset, because an empty ``KAIZEN_LLM_URL=`` line in a ``.env`` file
    means "off", not "connect to nowhere".
    """
    url = (url or "").strip()
    model = (model or "").strip()
    if not url or not model:
        return OfflineOnly()
    try:
        return OpenAICompatibleProvider(url, model, (api_key or "").strip() or None)
    except (httpx.InvalidURL, ValueError, TypeError) as exc:
        log.warning("KAIZEN_LLM_URL %r is not usable (%s); using offline labels only", url, exc)
        return OfflineOnly()
