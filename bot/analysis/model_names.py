"""Find which ML model a reply is about.

The channel's configured model list is the ground truth (teams know their model names), so it is
tried first and tolerantly, the way people shorten names in chat: case-insensitive, with or
without the version suffix ("fraud-scorer" finds "fraud-scorer-v4"), as "<last word> vN"
("ranker v7" finds "search-ranker-v7"), as two or more consecutive parts of the name ("two
tower", "pii-tagger"), as one part that says what the model does or what kind it is ("the
scorer", "the lstm", "the bandit"), as another part followed by a word for a model ("the dwell
model", "the anomaly detector"), or as its bare version tag ("v4"). A shortening only counts
when exactly one configured model has it: with "eta-gbm-v2" and "eta-gbm-v3" configured, "the
gbm" names neither. Only then do we guess from the shape of hyphenated names (``churn-v3``,
``chargeback-gbm``, ``sales-fcst``), requiring a version (joined or after a space: "intent-t
v12") or a model-ish final word so ordinary hyphenated words ("follow-up", "on-call", "re-ran",
"A100", "p99") are not mistaken for models.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

_VERSION = re.compile(r"-v\d+(?:\.\d+)*$")
MODEL_ROLES = (
    "scorer", "ranker", "reranker", "detector", "classifier", "clf", "retriever", "encoder",
    "embedder", "forecaster", "predictor", "recommender", "rewriter", "tagger", "segmenter",
    "matcher", "extractor", "calibrator",
)  # fmt: skip
"""Words saying what a model does. Alone ("the scorer") they can stand for the one model of the
team whose name ends in them; kinds of model ("gbm", "bert") and "model" itself cannot."""
MODEL_KINDS = (
    "gbm", "xgb", "xgboost", "lgbm", "lightgbm", "catboost", "bert", "lstm", "gru", "cnn", "rnn",
    "transformer", "knn", "bandit", "prophet", "arima", "iforest", "svm", "logreg", "mlp", "gnn",
    "tft", "llm", "dnn", "conformer", "resnet", "vit", "gan", "vae", "crf",
)  # fmt: skip
"""Kinds of model. In a configured name ("dwell-lstm") a kind that no other configured model has
can stand for it ("retrained the lstm")."""
_MODEL_SUFFIXES = (
    *MODEL_ROLES, *MODEL_KINDS, "model", "embeddings", "rf", "lr", "net", "forecast", "recsys",
    "anomaly", "parser-model", "fcst", "embed", "nlu", "ner", "asr", "tts", "seg", "xl",
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
_VERSIONED = re.compile(r"(?<![\w/.-])([a-z][a-z0-9]*(?:-[a-z0-9]+)+) v\d+(?:\.\d+)*(?![\w-])")
"""A hyphenated name followed by a version tag ("uplift-t v5", "query-embed v12")."""
_ALONE = frozenset(MODEL_ROLES + MODEL_KINDS)
_DESCRIBED = r"[ -](?:models?|" + "|".join(MODEL_ROLES + MODEL_KINDS) + ")"


def _spellings(low: str) -> tuple[str, list[str], list[str], list[str]]:
    """A configured name's base (no version), its version tag, its shortenings, and the short
    letter-only parts ("asr" in asr-conformer) that name it when written in capitals ("the ASR
    endpoint"); in lower case those are too often ordinary words ("opt")."""
    base = _VERSION.sub("", low)
    version = low[len(base) + 1 :]
    parts = re.split(r"[-_ ]+", base)
    runs = [
        r"[-_ ]".join(map(re.escape, parts[i:j]))
        for i in range(len(parts))
        for j in range(i + 2, len(parts) + 1)
        if (i, j) != (0, len(parts))
    ]
    alone = [re.escape(p) for p in parts if p in _ALONE]
    # "the dwell model", "the anomaly detector": one part of the name, then a word for a model
    described = [re.escape(p) + _DESCRIBED for p in parts if len(p) >= 4 and p not in _ALONE]
    acronyms = [p.upper() for p in parts if 2 <= len(p) <= 5 and p.isalpha()]
    return base, [version] if version else [], runs + alone + described, acronyms


def _whole(alternatives: str) -> re.Pattern[str]:
    """One of ``alternatives`` standing as a whole name (not inside "x-asr-y" or "asrx")."""
    return re.compile(r"(?<![\w-])(?:" + alternatives + r")(?![\w-])")


@lru_cache(maxsize=256)
def _known_patterns(known: tuple[str, ...]) -> tuple[tuple[str, re.Pattern[str], bool], ...]:
    """Per configured model, one regex over the lower-cased reply and, for its acronyms, one
    over the reply as written (so the earliest mention of either wins)."""
    names = [(name, name.strip().lower()) for name in known if name.strip()]
    spelt = {name: _spellings(low) for name, low in names}
    # a shortening, version tag or acronym shared by two configured models names neither
    shared = Counter(
        s
        for base, versions, short, caps in spelt.values()
        for s in {base, *versions, *short, *caps}
    )
    out: list[tuple[str, re.Pattern[str], bool]] = []
    for name, low in names:
        base, versions, short, caps = spelt[name]
        alts = [re.escape(low)]
        if versions:
            if shared[base] == 1:  # "eta-gbm" names neither eta-gbm-v2 nor eta-gbm-v3
                alts.append(re.escape(base) + r"(?:-v\d+(?:\.\d+)*)?")
            last_word = base.rsplit("-", 1)[-1]
            if len(last_word) >= 3:
                alts.append(re.escape(last_word) + r"[ -]" + re.escape(versions[0]))
        else:
            alts.append(re.escape(low) + r"-v\d+(?:\.\d+)*")
        alts.extend(s for s in short if shared[s] == 1)
        alts.extend(re.escape(v) for v in versions if shared[v] == 1)
        out.append((name, _whole("|".join(alts)), False))
        upper = [re.escape(a) for a in caps if shared[a] == 1]
        if upper:
            out.append((name, _whole("|".join(upper)), True))
    return tuple(out)


def find_model(text: str, known: Sequence[str] = ()) -> str | None:
    """The model a reply mentions: a ``known`` name (returned as configured) or a guessed name.

    When several known models appear, the earliest mention wins (the subject usually comes
    first in a stand-up line).
    """
    lower = text.lower()
    if known:
        best: tuple[int, str] | None = None
        for name, rx, as_written in _known_patterns(tuple(known)):
            m = rx.search(text if as_written else lower)
            if m and (best is None or m.start() < best[0]):
                best = (m.start(), name)
        if best is not None:
            return best[1]
    if "-" not in lower:
        return None  # guessed names are hyphenated ("churn-v3"); most replies have no hyphen
    found: list[tuple[int, str]] = []
    for rx in (_PATTERN, _VERSIONED) if " v" in lower else (_PATTERN,):
        for m in rx.finditer(lower):
            name = m.group(1)
            if name not in _NOT_MODELS and len(name) >= 4:
                found.append((m.start(), name))
                break
    return min(found)[1] if found else None
