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

The summed score ``s`` becomes a confidence ``1 - 2**-s``, so the decision threshold
``s >= 1`` is confidence 0.5.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.analysis.labels import CONCERNS, WASTES
from bot.analysis.types import Classification
from bot.analysis.vocab_loader import (
    DIGIT_TRIGGER,
    GOOD_NEWS,
    TROUBLE,
    Pattern,
    Vocabulary,
    load_vocabulary,
)

SCORE_AT_THRESHOLD = 0.8
"""Evidence score reaching the decision threshold (a strong phrase, or a prior plus a hint)."""

DECISION_THRESHOLD = 0.5
"""Confidence at or above which a label is reported (score 1.0)."""

TOPIC_WITHOUT_TROUBLE = 0.25
"""Share of a topic pattern's weight that counts when the reply reports no trouble."""

GOOD_NEWS_DAMPING = 0.35
"""Concern scores are multiplied by this when the reply is good news with no trouble in it."""

_WORD = re.compile(r"[a-z0-9]+")
_DIGIT = re.compile(r"\d")
_MAX_TRIGGER = 6
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


class Classifier:
    """Multi-label classifier over the editable vocabulary; build once, call ``classify`` often."""

    def __init__(
        self, vocab_dir: Path | None = None, examples: Iterable[LabelledExample] = ()
    ) -> None:
        self.vocab: Vocabulary = load_vocabulary(vocab_dir)
        # Trigger index: 3-letter (or 2-letter) word prefix -> patterns that can only match when
        # a token starting that way is present. Keeps cost flat as the vocabulary grows.
        # Trigger index: literal word prefix (up to 6 letters) -> branches that can only match
        # when some token of the reply starts with it. Keeps cost flat as the vocabulary grows.
        self._by_trigger: dict[str, list[tuple[Pattern, re.Pattern[str]]]] = {}
        self._always: list[tuple[Pattern, re.Pattern[str]]] = []
        all_patterns = [p for lv in self.vocab.labels.values() for p in lv.patterns]
        all_patterns.extend(self.vocab.shared.cue_patterns)
        for p in all_patterns:
            for br in p.branches:
                entry = (p, br.regex)
                if br.triggers is None:
                    self._always.append(entry)
                    continue
                for trig in dict.fromkeys(t[:_MAX_TRIGGER] for t in br.triggers):
                    self._by_trigger.setdefault(trig, []).append(entry)
        self._trigger_keys = frozenset(self._by_trigger)
        self._trigger_lengths = tuple(sorted({len(k) for k in self._by_trigger if k[0] != "#"}))
        self._ignore = {
            lab: lv.ignore for lab, lv in self.vocab.labels.items() if lv.ignore is not None
        }
        self._priors: dict[str, list[tuple[str, float]]] = {}
        for lab, lv in self.vocab.labels.items():
            for q, w in lv.priors.items():
                self._priors.setdefault(q, []).append((lab, w))
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

    def _candidates(self, lower: str) -> list[tuple[Pattern, re.Pattern[str]]]:
        tokens = set(_WORD.findall(lower))
        keys: set[str] = set()
        for n in self._trigger_lengths:
            keys.update(t[:n] for t in tokens if len(t) >= n)
        if _DIGIT.search(lower):
            keys.add(DIGIT_TRIGGER)
        keys &= self._trigger_keys
        if not keys:
            return self._always
        by = self._by_trigger
        seen: dict[int, tuple[Pattern, re.Pattern[str]]] = {}
        for k in keys:
            for entry in by[k]:
                seen[id(entry[1])] = entry
        for entry in self._always:
            seen[id(entry[1])] = entry
        return list(seen.values())

    def scores(self, text: str, question: str | None = None) -> dict[str, float]:
        """Raw evidence score per label (1.0 = decision threshold); useful for explanations."""
        lower = text.lower()
        shared = self.vocab.shared
        ignored = (
            [m.span() for m in shared.ignore.finditer(lower)]
            if "<" in lower or "`" in lower
            else []
        )
        trouble = False
        good = False

        signal: dict[str, float] = {}
        topic: dict[str, float] = {}
        denied: set[str] = set()
        counted: set[int] = set()
        label_ignored: dict[str, list[tuple[int, int]]] = {}
        for p, rx in self._candidates(lower):
            pid = id(p)
            if pid in counted:
                continue
            lab = p.label
            search = rx.search
            if lab[0] == "#" and ((trouble and lab == TROUBLE) or (good and lab == GOOD_NEWS)):
                continue  # this cue is already known to be present
            m = search(lower)
            while m is not None:
                s, e = m.span()
                if s and lower[s - 1] in _WORD_CHARS:  # patterns match at a word start only
                    m = search(lower, s + 1)
                    continue
                if lab[0] == "#":
                    if ignored and any(a < e and s < b for a, b in ignored):
                        m = search(lower, m.start() + 1)
                        continue
                    if lab == GOOD_NEWS:
                        good = True
                        break
                    if not self._negated(lower, s):
                        trouble = True
                        break
                    m = search(lower, m.start() + 1)
                    continue
                spans = label_ignored.get(lab)
                if spans is None:
                    irx = self._ignore.get(lab)
                    spans = [x.span() for x in irx.finditer(lower)] if irx is not None else []
                    label_ignored[lab] = spans
                if spans and any(a < e and s < b for a, b in spans):
                    m = search(lower, m.start() + 1)
                    continue
                if ignored and any(a < e and s < b for a, b in ignored):
                    m = search(lower, m.start() + 1)
                    continue
                if p.negatable and self._negated(lower, s):
                    if p.weight > 0:
                        denied.add(lab)
                    m = search(lower, m.start() + 1)
                    continue
                bucket = topic if p.needs_trouble else signal
                bucket[lab] = bucket.get(lab, 0.0) + p.weight
                counted.add(pid)
                break

        scores: dict[str, float] = {}
        for lab in WASTES + CONCERNS:
            s = signal.get(lab, 0.0)
            t = topic.get(lab, 0.0)
            s += t if trouble else t * TOPIC_WITHOUT_TROUBLE
            if s or lab in topic:
                scores[lab] = s
        quiet = shared.quiet.search(lower) is not None
        if question and not quiet:
            for lab, w in self._priors.get(question, ()):
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
            conf = _confidence(s)
            if conf >= DECISION_THRESHOLD:
                (concerns if lab in _CONCERN_SET else wastes)[lab] = round(conf, 4)
        return Classification(wastes=wastes, concerns=concerns)

    def explain(self, text: str, question: str | None = None) -> list[tuple[str, str, float]]:
        """Which patterns fired, as (label, pattern, weight): for tuning and "why this label"."""
        lower = text.lower()
        out: list[tuple[str, str, float]] = []
        seen: set[int] = set()
        for p, _rx in self._candidates(lower):
            if id(p) in seen:
                continue
            seen.add(id(p))
            m = p.regex.search(lower)
            if m and any(not (x.start() and lower[x.start() - 1] in _WORD_CHARS) for x in [m]):
                neg = p.negatable and self._negated(lower, m.start())
                out.append((p.label, p.source + (" (negated)" if neg else ""), p.weight))
        return sorted(out)


@lru_cache(maxsize=1)
def default_classifier() -> Classifier:
    """The classifier over the bundled vocabulary, built once per process (it is immutable)."""
    return Classifier()


def classify_many(
    texts: Sequence[tuple[str, str | None]], classifier: Classifier | None = None
) -> list[Classification]:
    """Convenience for batch callers: classify ``(text, question)`` pairs in order."""
    clf = classifier or default_classifier()
    return [clf.classify(t, q) for t, q in texts]
