"""Find which ML model a reply is about.

The channel's configured model list is the ground truth (teams know their model names), so it is
tried first and tolerantly: case-insensitive, with or without the version suffix ("fraud-scorer"
finds "fraud-scorer-v4"), or as "<last word> vN" ("ranker v7" finds "search-ranker-v7"). Only
then do we guess from the shape of hyphenated names (``churn-v3``, ``chargeback-gbm``), requiring
a version or a model-ish final word so ordinary hyphenated words ("follow-up", "on-call",
"re-ran", "A100", "p99") are not mistaken for models.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

_VERSION = re.compile(r"-v\d+(?:\.\d+)*$")
_MODEL_SUFFIXES = (
    "model", "scorer", "ranker", "reranker", "detector", "classifier", "clf", "retriever",
    "encoder", "embedder", "embeddings", "gbm", "xgb", "lgbm", "rf", "lr", "bert", "net", "cnn",
    "rnn", "lstm", "transformer", "forecast", "forecaster", "predictor", "recommender", "recsys",
    "rewriter", "tagger", "anomaly", "segmenter", "matcher", "extractor", "parser-model", "llm",
)  # fmt: skip
_NOT_MODELS = frozenset(
    {
        "follow-up", "on-call", "re-ran", "re-run", "check-in", "sign-off", "hand-off", "roll-out",
        "set-up", "e-mail", "co-worker", "a-b", "pre-prod", "non-prod", "real-time", "top-k",
        "end-to-end", "per-model", "multi-node", "in-region", "us-east", "eu-central",
    }
)  # fmt: skip
_PATTERN = re.compile(
    r"(?<![\w/.-])([a-z][a-z0-9]*(?:-[a-z0-9]+)*-(?:v\d+(?:\.\d+)*|"
    + "|".join(_MODEL_SUFFIXES)
    + r"))(?![\w-])"
)


@lru_cache(maxsize=256)
def _known_patterns(known: tuple[str, ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    out: list[tuple[str, re.Pattern[str]]] = []
    for name in known:
        low = name.strip().lower()
        if not low:
            continue
        base = _VERSION.sub("", low)
        alts = [re.escape(low)]
        if base != low:
            alts.append(re.escape(base) + r"(?:-v\d+(?:\.\d+)*)?")
            version = low[len(base) + 1 :]
            last_word = base.rsplit("-", 1)[-1]
            if len(last_word) >= 3:
                alts.append(re.escape(last_word) + r"[ -]" + re.escape(version))
        else:
            alts.append(re.escape(low) + r"-v\d+(?:\.\d+)*")
        out.append((name, re.compile(r"(?<![\w-])(?:" + "|".join(alts) + r")(?![\w-])")))
    return tuple(out)


def find_model(text: str, known: Sequence[str] = ()) -> str | None:
    """The model a reply mentions: a ``known`` name (returned as configured) or a guessed name.

    When several known models appear, the earliest mention wins (the subject usually comes
    first in a stand-up line).
    """
    lower = text.lower()
    if known:
        best: tuple[int, str] | None = None
        for name, rx in _known_patterns(tuple(known)):
            m = rx.search(lower)
            if m and (best is None or m.start() < best[0]):
                best = (m.start(), name)
        if best is not None:
            return best[1]
    if "-" not in lower:
        return None  # guessed names are hyphenated ("churn-v3"); most replies have no hyphen
    for m in _PATTERN.finditer(lower):
        name = m.group(1)
        if name in _NOT_MODELS or len(name) < 4:
            continue
        return name
    return None
