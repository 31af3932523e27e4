"""Offline, rule-based reader of check-in replies: which Lean wastes and MLOps concerns they name.

Why rules and not a model: the bot is self-hosted and must work without network access or model
downloads, give the same answer for the same reply every time, and let a team correct it by
editing plain data files (``vocab/*.toml``) or with "Change category" in the chat. Scores are sums
of evidence, so a reader can see exactly why a label was chosen.

How a reply is scored, per label:

* every vocabulary pattern found in the reply adds its weight (once per pattern), unless it sits
  inside an irrelevant sense ("waiting list") or is negated ("no waiting", "nothing blocked");
* "topic" patterns (``needs_trouble = true``: "p99", "recall") only count fully when the reply
  also reports trouble ("dropped", "timeouts"); a metric merely being mentioned is not a concern;
* the question answered is a prior ("What did you wait on?" makes ``waiting`` likely), dropped
  for "nothing to report" replies ("nope", "all good") and when the label's own words are negated;
* a reply reporting good news about a metric without any trouble has its concern scores damped;
* labelled examples (user corrections) similar to the reply pull its labels towards theirs.

* numbers that moved or sit against a target ("p99 120ms -> 400ms", "auc 0.91 → 0.84", "18ms vs a
  40ms budget") count as trouble or good news according to which way the metric should go.

The summed score ``s`` becomes a confidence ``1 - 2**(-s/0.6)``, so the decision threshold
``s >= 0.6`` is confidence 0.5.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.analysis.labels import CONCERNS
from bot.analysis.types import Classification
from bot.analysis.vocab_loader import (
    DIGIT_TRIGGER,
    GOOD_NEWS,
    TROUBLE,
    Branch,
    Pattern,
    Vocabulary,
    branches_of,
    load_vocabulary,
)

SCORE_AT_THRESHOLD = 0.6
"""Evidence score reaching the decision threshold (a strong phrase, or a prior plus a hint).

Chosen on the W10-W12 half of the dev corpus and checked on W13-W15: from 0.8 down to 0.6 recall
rose on both halves with little precision lost."""

DECISION_THRESHOLD = 0.5
"""Confidence at or above which a label is reported (score 1.0)."""

TOPIC_WITHOUT_TROUBLE = 0.25
"""Share of a topic pattern's weight that counts when the reply reports no trouble."""

GOOD_NEWS_DAMPING = 0.35
"""Concern scores are multiplied by this when the reply is good news with no trouble in it."""

_TOKEN = re.compile(r"[a-z0-9]+")
_DIGITS = frozenset("0123456789")
_ANY_DIGIT = re.compile(r"\d")
_NEG_WORD = re.compile(r"[a-z0-9'’-]+")
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_EXAMPLE_WORD = re.compile(r"[a-z][a-z0-9'-]{2,}")
_CLAUSE_BREAK = re.compile(r"[.;!?\n]|\bbut\b|\btho\b|\bthough\b|\bhowever\b|\byet\b")

_CONCERN_SET = frozenset(CONCERNS)


@dataclass(frozen=True, slots=True)
class LabelledExample:
    """A reply with the labels a person says are right, e.g. from "Change category"."""

    text: str
    wastes: frozenset[str] = frozenset()
    concerns: frozenset[str] = frozenset()
    question: str | None = None

    @property
    def labels(self) -> frozenset[str]:
        return self.wastes | self.concerns


def _confidence(score: float) -> float:
    if score <= 0.0:
        return 0.0
    return min(1.0, 1.0 - math.pow(2.0, -score / SCORE_AT_THRESHOLD))


# Numbers that moved ("p99 310ms -> 780ms", "auc 0.91 → 0.84") or sit against a target ("12ms vs
# a 25ms budget") are trouble or good news depending on which way the metric should go.
_NUM = r"(\d+(?:\.\d+)?)\s*(ms|s|%|x)?"
_CHANGE = re.compile(_NUM + r"\s*(?:→|->|=>)\s*~?" + _NUM)
_VERSUS = re.compile(
    _NUM
    + r"\s*(?:vs\.?|versus|against)\s*(?:the |a |an |our |its )?~?"
    + _NUM
    + r"\s*(?:\w+ )?(target|budget|sla|slo|limit|baseline|threshold|goal)?"
)
_LOWER_IS_BETTER = re.compile(
    r"latenc|p9\d|p50|\bms\b|error|timeout|5xx|cost|\$|rmse|\bmae|mape|loss|fpr|false|oom|memory"
    r"|runtime|duration|took|hours|minutes|lag|delay|psi|drift|churn"
)
_HIGHER_IS_BETTER = re.compile(
    r"auc|recall|precision|\bf1|ndcg|mrr|accura|ctr|hit ?rate|conversion|\bmap\b|coverage|uptime"
    r"|availability|throughput|qps|rps|lift|r2|r\^2"
)


def _direction(before: str, unit: str | None) -> int:
    """+1 when higher is better for the metric named just before a number, -1 when lower is."""
    if unit in ("ms", "s"):
        return -1
    best = -1
    sign = 0
    for rx, val in ((_LOWER_IS_BETTER, -1), (_HIGHER_IS_BETTER, 1)):
        for m in rx.finditer(before):
            if m.start() > best:
                best, sign = m.start(), val
    return sign


def numeric_cues(lower: str) -> tuple[bool, bool]:
    """(trouble, good) read from numbers that moved or are compared with a target."""
    trouble = good = False
    for m in _CHANGE.finditer(lower):
        a, b = float(m.group(1)), float(m.group(3))
        sign = _direction(lower[max(0, m.start() - 40) : m.start()], m.group(2) or m.group(4))
        if sign and a != b:
            if (b > a) == (sign > 0):
                good = True
            else:
                trouble = True
    for m in _VERSUS.finditer(lower):
        if m.group(5) is None:
            continue
        a, b = float(m.group(1)), float(m.group(3))
        sign = _direction(lower[max(0, m.start() - 40) : m.end()], m.group(2) or m.group(4))
        if m.group(5) in ("budget", "sla", "slo", "limit") and not sign:
            sign = -1
        if sign and a != b:
            if (a > b) == (sign > 0):
                good = True
            else:
                trouble = True
    return trouble, good


_SIGNAL, _TOPIC, _TROUBLE, _GOOD, _IGNORE = 0, 1, 2, 3, 4
_TOKEN_CACHE_LIMIT = 100_000

# One vocabulary branch ready to run: (match-or-search method, pattern index, label, weight,
# kind, negatable). Plain tuples keep the per-reply loop free of attribute look-ups.
_Entry = tuple[Callable[..., "re.Match[str] | None"], int, str, float, int, bool]

_Probe = tuple[Callable[..., "re.Match[str] | None"] | None, tuple[tuple[int, _Entry], ...]]
_MISSING: Any = object()


def _fuse(entries: tuple[_Entry, ...]) -> _Probe:
    """One regex trying every branch at a position; ``(match, ((group, entry), ...))``."""
    parts: list[str] = []
    slots: list[tuple[int, _Entry]] = []
    group = 1
    for entry in entries:
        rx: re.Pattern[str] = entry[0].__self__  # type: ignore[attr-defined]
        parts.append("(?:(?=(" + rx.pattern + ")))?")
        slots.append((group, entry))
        group += 1 + rx.groups
    try:
        fused = re.compile("".join(parts))
    except (re.error, RecursionError, OverflowError):
        # e.g. a user pattern with a back-reference or a named group used twice: try one by one
        return None, tuple(slots)
    return fused.match, tuple(slots)


class Classifier:
    """Multi-label classifier over the editable vocabulary; build once, call ``classify`` often.

    Speed: the reply is tokenised once; each token looks up (in a per-token cache) the vocabulary
    branches whose literal first word it starts with, and only those are tried, anchored at that
    token. So the cost depends on the words in the reply, not on how large the vocabulary is.
    Branches that do not start with a word (":tada:", "-> ... ->") are searched only when their
    literal text is present.
    """

    def __init__(
        self, vocab_dir: Path | None = None, examples: Iterable[LabelledExample] = ()
    ) -> None:
        self.vocab: Vocabulary = load_vocabulary(vocab_dir)
        patterns: list[Pattern] = [p for lv in self.vocab.labels.values() for p in lv.patterns]
        patterns.extend(self.vocab.shared.cue_patterns)
        self._patterns = tuple(patterns)
        exact: dict[str, list[_Entry]] = {}
        by_prefix: dict[str, list[_Entry]] = {}
        digit: list[_Entry] = []
        searched: list[tuple[tuple[str, ...] | None, _Entry]] = []

        def add(br: Branch, pid: int, label: str, weight: float, kind: int, neg: bool) -> None:
            if br.triggers is None:
                searched.append((br.gate, (br.regex.search, pid, label, weight, kind, neg)))
                return
            entry = (br.regex.match, pid, label, weight, kind, neg)
            for trig in br.triggers:
                if trig == DIGIT_TRIGGER:
                    digit.append(entry)
                elif trig in br.whole:
                    exact.setdefault(trig, []).append(entry)
                else:
                    by_prefix.setdefault(trig, []).append(entry)

        for pid, p in enumerate(self._patterns):
            if p.label == TROUBLE:
                kind = _TROUBLE
            elif p.label == GOOD_NEWS:
                kind = _GOOD
            else:
                kind = _TOPIC if p.needs_trouble else _SIGNAL
            for br in p.branches:
                add(br, pid, p.label, p.weight, kind, p.negatable)
        for lab, lv in self.vocab.labels.items():
            for i, src in enumerate(lv.ignore_sources):
                for br in branches_of(src, f"{lab}.toml: ignore[{i}]"):
                    add(br, -1, lab, 0.0, _IGNORE, False)
        self._exact = {k: tuple(v) for k, v in exact.items()}
        self._by_prefix = {k: tuple(v) for k, v in by_prefix.items()}
        self._digit_entries = tuple(digit)
        self._searched = tuple(searched)
        gates = [g for gate, _ in searched if gate is not None for g in gate]
        ungated = any(gate is None for gate, _ in searched)
        # one quick search tells whether any searched branch can match at all
        self._search_gate = (
            None
            if ungated or not gates
            else re.compile("|".join(re.escape(g) for g in sorted(set(gates), key=len)[::-1]))
        )
        self._search_nothing = not searched
        self._max_prefix = max((len(k) for k in by_prefix), default=0)
        self._token_cache: dict[str, _Probe | None] = {}
        self._probes: dict[tuple[_Entry, ...], _Probe] = {}
        shared = self.vocab.shared
        cues = sorted((*shared.negation_words, *shared.negation_phrases), key=len, reverse=True)
        self._any_negation = re.compile(
            r"n['’]t\b|(?<![a-z0-9])(?:" + "|".join(map(re.escape, cues)) + r")(?![a-z0-9])"
        )
        self._ignore = {
            lab: lv.ignore for lab, lv in self.vocab.labels.items() if lv.ignore is not None
        }
        self._priors: dict[str, tuple[tuple[str, float], ...]] = {}
        for lab, lv in self.vocab.labels.items():
            for q, w in lv.priors.items():
                self._priors[q] = (*self._priors.get(q, ()), (lab, w))
        self._examples: list[tuple[frozenset[str], LabelledExample]] = []
        self._example_index: dict[str, list[int]] = {}
        for ex in examples:
            self.add_example(ex)

    # -- corrections -------------------------------------------------------------------------

    def add_example(self, example: LabelledExample) -> None:
        """Remember a corrected reply so that similar replies get the same labels."""
        terms = self._example_terms(example.text)
        if not terms:
            return
        idx = len(self._examples)
        self._examples.append((terms, example))
        for t in terms:
            self._example_index.setdefault(t, []).append(idx)

    def _example_terms(self, lower_or_raw: str) -> frozenset[str]:
        stop = self.vocab.concepts.stopwords
        return frozenset(w for w in _EXAMPLE_WORD.findall(lower_or_raw.lower()) if w not in stop)

    def _example_boost(self, lower: str, scores: dict[str, float]) -> None:
        """Nearest-neighbour pull: similar corrected replies add their labels, remove others.

        Term-overlap (Jaccard) over an inverted index, so cost depends on shared words, not on
        how many corrections a workspace has accumulated.
        """
        terms = self._example_terms(lower)
        if not terms:
            return
        overlap: dict[int, int] = {}
        for t in terms:
            for i in self._example_index.get(t, ()):
                overlap[i] = overlap.get(i, 0) + 1
        best: list[tuple[float, int]] = []
        for i, shared in overlap.items():
            ex_terms = self._examples[i][0]
            sim = shared / (len(terms) + len(ex_terms) - shared)
            if sim >= 0.35:
                best.append((sim, i))
        best.sort(key=lambda x: (-x[0], x[1]))
        for sim, i in best[:3]:
            ex = self._examples[i][1]
            pull = 2.5 * sim
            for lab in ex.labels:
                scores[lab] = scores.get(lab, 0.0) + pull
            if sim >= 0.6:
                for lab in list(scores):
                    if lab not in ex.labels:
                        scores[lab] -= pull

    # -- scoring -----------------------------------------------------------------------------

    def _negated(self, lower: str, start: int) -> bool:
        """True when a negation cue is among the four words before ``start`` in its clause."""
        if not start:
            return False
        window = lower[max(0, start - 40) : start]
        breaks = list(_CLAUSE_BREAK.finditer(window))
        if breaks:
            window = window[breaks[-1].end() :]
        words = _NEG_WORD.findall(window)[-4:]
        if not words:
            return False
        shared = self.vocab.shared
        neg = shared.negation_words
        for w in words:
            if w in neg or w.endswith(("n't", "n’t")):
                return True
        if shared.negation_phrases:
            tail = " ".join(words)
            return any(ph in tail for ph in shared.negation_phrases)
        return False

    def _entries_for(self, token: str) -> _Probe | None:
        """What to try at a word spelt ``token`` (cached per distinct word).

        All branches that can start at such a word are fused into one regex of optional
        look-aheads, ``(?:(?=(b1)))?(?:(?=(b2)))?...``: a single ``match`` call then says which of
        them match there (their capture groups are set). Fused regexes are shared by all words
        with the same candidate branches (all numbers, say), so few are ever compiled.
        """
        got: list[_Entry] = list(self._exact.get(token, ()))
        by = self._by_prefix
        for n in range(1, min(len(token), self._max_prefix) + 1):
            hit = by.get(token[:n])
            if hit:
                got.extend(hit)
        if token[0] in _DIGITS:
            got.extend(self._digit_entries)
        probe: _Probe | None = None
        if got:
            key = tuple(dict.fromkeys(got))
            probe = self._probes.get(key)
            if probe is None:
                probe = self._probes[key] = _fuse(key)
        cache = self._token_cache
        if len(cache) >= _TOKEN_CACHE_LIMIT:
            cache.clear()
        cache[token] = probe
        return probe

    def _evidence(
        self, lower: str, trace: list[tuple[str, str, float]] | None = None
    ) -> tuple[dict[str, float], dict[str, float], set[str], bool, bool]:
        """Vocabulary hits of one reply: signal and topic sums per label, denied labels, cues."""
        ignored = (
            [m.span() for m in self.vocab.shared.ignore.finditer(lower)]
            if "<" in lower or "`" in lower
            else None
        )
        signal: dict[str, float] = {}
        topic: dict[str, float] = {}
        denied: set[str] = set()
        done: set[int] = set()
        label_ignored: dict[str, list[tuple[int, int]]] = {}
        trouble = False
        good = False
        cache_get = self._token_cache.get
        hits: list[tuple[int, int, _Entry]] = []
        for m in _TOKEN.finditer(lower):
            tok = m.group()
            probe = cache_get(tok, _MISSING)
            if probe is _MISSING:
                probe = self._entries_for(tok)
            if probe is None:
                continue
            pos = m.start()
            fused, slots = probe
            if fused is not None:
                mm = fused(lower, pos)
                if mm.lastindex is None:  # no branch matches here (the usual case)
                    continue
                regs = mm.regs
                for gi, entry in slots:
                    e = regs[gi][1]
                    if e >= 0:
                        if entry[4] == _IGNORE:
                            label_ignored.setdefault(entry[2], []).append((pos, e))
                        else:
                            hits.append((pos, e, entry))
                continue
            for _gi, entry in slots:
                mm = entry[0](lower, pos)
                if mm is not None:
                    if entry[4] == _IGNORE:
                        label_ignored.setdefault(entry[2], []).append((pos, mm.end()))
                    else:
                        hits.append((pos, mm.end(), entry))
        gate_rx = self._search_gate
        if self._search_nothing or (gate_rx is not None and gate_rx.search(lower) is None):
            searched: tuple[tuple[tuple[str, ...] | None, _Entry], ...] = ()
        else:
            searched = self._searched
        for gate, entry in searched:
            if gate is not None and not any(g in lower for g in gate):
                continue
            search = entry[0]
            mm = search(lower)
            while mm is not None:
                s = mm.start()
                # patterns match at a word start only (unless they start with punctuation)
                if s and lower[s] in _WORD_CHARS and lower[s - 1] in _WORD_CHARS:
                    mm = search(lower, s + 1)
                    continue
                if entry[4] == _IGNORE:
                    label_ignored.setdefault(entry[2], []).append((s, mm.end()))
                else:
                    hits.append((s, mm.end(), entry))
                mm = search(lower, s + 1)
        may_negate = self._any_negation.search(lower) is not None if hits else False
        for s, e, entry in hits:
            _fn, pid, lab, weight, kind, negatable = entry
            if pid in done:
                continue
            if ignored and any(a < e and s < b for a, b in ignored):
                continue
            if kind >= _TROUBLE:
                if kind == _GOOD:
                    good = True
                    done.add(pid)
                elif not (may_negate and self._negated(lower, s)):
                    trouble = True
                    done.add(pid)
                continue
            if label_ignored:
                spans = label_ignored.get(lab)
                if spans and any(a < e and s < b for a, b in spans):
                    continue
            if negatable and may_negate and self._negated(lower, s):
                if weight > 0:
                    denied.add(lab)
                if trace is not None:
                    trace.append((lab, self._patterns[pid].source + " (negated)", weight))
                continue
            if kind == _TOPIC:
                topic[lab] = topic.get(lab, 0.0) + weight
            else:
                signal[lab] = signal.get(lab, 0.0) + weight
            done.add(pid)
            if trace is not None:
                trace.append((lab, self._patterns[pid].source, weight))
        return signal, topic, denied, trouble, good

    def scores(self, text: str, question: str | None = None) -> dict[str, float]:
        """Raw evidence score per label (0.6 = decision threshold); useful for explanations."""
        lower = text.lower()
        signal, topic, denied, trouble, good = self._evidence(lower)
        if ("→" in lower or "->" in lower or "vs" in lower or "against" in lower) and (
            _ANY_DIGIT.search(lower) is not None
        ):
            more_trouble, more_good = numeric_cues(lower)
            trouble = trouble or more_trouble
            good = good or more_good
        scores = signal
        for lab, t in topic.items():
            scores[lab] = scores.get(lab, 0.0) + (t if trouble else t * TOPIC_WITHOUT_TROUBLE)
        if question:
            priors = self._priors.get(question)
            if priors and self.vocab.shared.quiet.match(lower) is None:
                for lab, w in priors:
                    if lab not in denied:
                        scores[lab] = scores.get(lab, 0.0) + w
        if good and not trouble:
            for lab in scores:
                if lab in _CONCERN_SET:
                    scores[lab] *= GOOD_NEWS_DAMPING
        if self._examples:
            self._example_boost(lower, scores)
        return scores

    def classify(self, text: str, question: str | None = None) -> Classification:
        """Labels of one reply with confidences; only labels at/above the threshold are kept."""
        wastes: dict[str, float] = {}
        concerns: dict[str, float] = {}
        for lab, s in self.scores(text, question).items():
            if s >= SCORE_AT_THRESHOLD:
                conf = round(_confidence(s), 4)
                if lab in _CONCERN_SET:
                    concerns[lab] = conf
                else:
                    wastes[lab] = conf
        return Classification(wastes=wastes, concerns=concerns)

    def explain(self, text: str, question: str | None = None) -> list[tuple[str, str, float]]:
        """Which patterns fired, as (label, pattern, weight): for tuning and "why this label"."""
        trace: list[tuple[str, str, float]] = []
        self._evidence(text.lower(), trace)
        return sorted(trace)


@lru_cache(maxsize=1)
def default_classifier() -> Classifier:
    """The classifier over the bundled vocabulary, built once per process (it is immutable)."""
    return Classifier()
