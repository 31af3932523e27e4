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

import copy
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import ahocorasick

from bot.analysis.labels import CONCERNS
from bot.analysis.types import Classification
from bot.analysis.vocab_loader import (
    DIGIT_TRIGGER,
    GOOD_NEWS,
    TOKEN_CHARS,
    TROUBLE,
    Branch,
    LiteralForm,
    Pattern,
    SharedVocab,
    Vocabulary,
    branches_of,
    gate_strength,
    is_word,
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


# Numbers that moved ("p99 310ms -> 780ms", "auc 0.91 → 0.84", "from 180 to 320 ms") or sit
# against a target ("12ms vs a 25ms budget") are trouble or good news depending on which way the
# metric should go.
_NUM = r"(\d+(?:\.\d+)?)\s*(ms|s|%|x)?"
_CHANGE = re.compile(_NUM + r"\s*(?:→|->|=>|(?<=[\d%a-z])\s+to(?=\s))\s*~?" + _NUM)
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
_PLANS_PER_KEY = 64
_CONFIDENCE_CACHE_LIMIT = 10_000

_STRONG_HEAD = 5
"""A regex branch whose literal prefixes are all at least this long is tried wherever one starts
a word; one with shorter ones ("the ", a digit) only in replies containing its gate string."""
_TELLING_GATE = 4
"""Weakest gate (``gate_strength``) worth waiting for: " hops" or "->" are, " on " is not."""

# One vocabulary branch ready to run: (its regex's match method, or search method for a branch
# that does not start with a word; pattern index, label, weight, kind, negatable). Plain tuples
# keep the per-reply loop free of attribute look-ups.
_Entry = tuple[Callable[..., "re.Match[str] | None"], int, str, float, int, bool]

# What to do where a vocabulary key starts a word: steps (rank, length, entry), rank being the
# entry's place among the word's candidates (hits keep the order of trying them word by word)
# and length that of the literal form found there, or 0 for "run the entry's regex here". A plan
# holds the steps of scored branches, those of ``ignore`` branches, and the regex steps of gated
# branches by gate id (with the set of those ids): they wait until the scan has told which gates
# the reply has.
_Step = tuple[int, int, _Entry]
_Plan = tuple[
    tuple[_Step, ...], tuple[_Step, ...], dict[int, tuple[_Step, ...]] | None, frozenset[int]
]

# A key of the scan: (length, its plans by what follows it, or None for a key that only raises
# flags; the key; the word it starts with when the key shows where that word ends; whether its
# plan is the same whatever follows; and, for a negation cue, mark or gate string, its flags
# and the ids of the gates it opens).
_Key = tuple[
    int,
    dict[Any, _Plan | None] | None,
    str,
    str | None,
    bool,
    tuple[int, frozenset[int]] | None,
]

# Flags of keys, telling about the reply: it may hold <@mention> or `code` spans; it may compare
# numbers; a branch that does not start with a word may match (its gate string is there). And
# for negation: a negation cue is at the key's span (``_negated`` can only be true after one);
# the key is a negation word or phrase, which makes negation count in this reply when it stands
# as whole words ("no", "free of"); or it is n't, which does when it ends a word.
_IGNORED_SPAN, _NUMERIC, _SEARCH = 1, 2, 4
_NEGATION_CUE, _NEGATION_WORD, _NEGATION_NT = 8, 16, 32
_SPAN_MARKS = ("<", "`")
_NUMERIC_MARKS = ("→", "->", "vs", "against", " to ")
_NOT_WORD = frozenset(" \t\n.,;:!?'\"()[]{}<>/\\|-+*=&%$#@~^`") | {""}
_MISSING: Any = object()


def _first_fit(forms: tuple[LiteralForm, ...], key: str, word_after: bool) -> int:
    """Length of the first form (in the engine's order) that ``key`` starts with, or 0.

    ``word_after`` tells whether the character after ``key`` in the reply is a word character,
    for a form ending in ``\\b`` exactly where the key ends.
    """
    for text, after in forms:
        if key.startswith(text):
            if after is None:
                return len(text)
            nxt = word_after if len(text) == len(key) else is_word(key[len(text)])
            if nxt == after:
                return len(text)
    return 0


def _negation_keys(shared: SharedVocab) -> dict[str, int]:
    """Flags of the negation keys. ``_negated`` needs one of them in the words before a hit: a
    negation word, n't, or a word of each phrase ("free of" may be "carefree offline")."""
    keys = dict.fromkeys((*shared.negation_words, *shared.negation_phrases), _NEGATION_WORD)
    for nt in ("n't", "n’t"):
        keys[nt] = _NEGATION_NT
    for phrase in shared.negation_phrases:
        words = phrase.split()
        if not any(w in shared.negation_words for w in words):
            word = max(words, key=len)
            keys[word] = keys.get(word, 0)
    return {k: f | _NEGATION_CUE for k, f in keys.items()}


class Classifier:
    """Multi-label classifier over the editable vocabulary; build once, call ``classify`` often.

    Speed: one Aho-Corasick pass over the reply finds every vocabulary key at once. Keys are the
    spelt-out literal forms of most branches ("blocked on", "re-ran") and the literal prefixes of
    the rest, which are the only ones that run a regex, and only where a prefix starts a word
    (branches with a weak prefix such as a digit wait for their gate string, " hops" for
    ``\\d+ hops``). Where several keys start at a word the longest one tells which branches match
    there: a plan per key, cached, gives them. So the cost depends on the words in the reply, not
    on how large the vocabulary is. Branches that do not start with a word (":tada:", "-> ...
    ->") are searched only when their gate string is present.
    """

    def __init__(
        self, vocab_dir: Path | None = None, examples: Iterable[LabelledExample] = ()
    ) -> None:
        self.vocab: Vocabulary = load_vocabulary(vocab_dir)
        patterns: list[Pattern] = [p for lv in self.vocab.labels.values() for p in lv.patterns]
        patterns.extend(self.vocab.shared.cue_patterns)
        self._patterns = tuple(patterns)
        self._token_cache: dict[str, tuple[_Entry, ...]] = {}
        self._candidate_sets: dict[tuple[_Entry, ...], tuple[_Entry, ...]] = {}
        self._forms: dict[_Entry, tuple[LiteralForm, ...]] = {}
        self._heads: dict[_Entry, tuple[tuple[str, ...], int | None]] = {}
        self._gates: dict[tuple[str, ...], int] = {}
        self._search_gates: set[str] = set()
        self._index_branches()
        self._automaton = self._build_automaton()
        self._confidence: dict[float, float] = {}
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

    # -- building ----------------------------------------------------------------------------

    def _index_branches(self) -> None:
        """File every branch under the words it can start at, and say how it is matched."""
        exact: dict[str, list[_Entry]] = {}
        by_prefix: dict[str, list[_Entry]] = {}
        digit: list[_Entry] = []
        searched: list[tuple[int | None, _Entry]] = []
        regex_branches: list[tuple[Branch, _Entry]] = []

        def add(br: Branch, pid: int, label: str, weight: float, kind: int, neg: bool) -> None:
            if br.triggers is None:
                entry = (br.regex.search, pid, label, weight, kind, neg)
                searched.append((self._gate_id(br.gate) if br.gate else None, entry))
                self._search_gates.update(br.gate or ())
                return
            entry = (br.regex.match, pid, label, weight, kind, neg)
            for trig in br.triggers:
                if trig == DIGIT_TRIGGER:
                    digit.append(entry)
                elif trig in br.whole:
                    exact.setdefault(trig, []).append(entry)
                else:
                    by_prefix.setdefault(trig, []).append(entry)
            if br.forms is not None:
                self._forms[entry] = br.forms
            else:
                regex_branches.append((br, entry))

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
        self._max_prefix = max((len(k) for k in by_prefix), default=0)
        self._digit_entries = tuple(digit)
        self._searched = tuple(searched)
        self._always_searched = tuple((g, e) for g, e in searched if g is None)
        for br, entry in regex_branches:
            self._heads[entry] = self._regex_heads(br)

    def _regex_heads(self, br: Branch) -> tuple[tuple[str, ...], int | None]:
        """Where a regex branch is tried: at its literal prefixes (its trigger words when it has
        none); and when those are too weak to go by alone (a digit, "a "), the id of its gate:
        it is then only tried in replies holding its gate string."""
        assert br.triggers is not None
        heads = br.heads
        if heads is None:
            heads = tuple(
                w for t in br.triggers for w in ("0123456789" if t == DIGIT_TRIGGER else (t,))
            )
        gate = br.gate
        if min(map(len, heads), default=0) >= _STRONG_HEAD or not gate:
            return heads, None
        if min(map(gate_strength, gate)) < _TELLING_GATE:
            return heads, None
        return heads, self._gate_id(gate)

    def _gate_id(self, gate: tuple[str, ...]) -> int:
        return self._gates.setdefault(gate, len(self._gates))

    def _build_automaton(self) -> ahocorasick.Automaton:
        """The scan over a reply: every key, stored reversed and run over the reversed reply, so
        that all keys starting at the same word come out one after the other."""
        flags = _negation_keys(self.vocab.shared)
        for mark in _SPAN_MARKS:
            flags[mark] = flags.get(mark, 0) | _IGNORED_SPAN
        for mark in _NUMERIC_MARKS:
            flags[mark] = flags.get(mark, 0) | _NUMERIC
        gates: dict[str, set[int]] = {}
        for gate, gid in self._gates.items():
            for g in gate:
                gates.setdefault(g, set()).add(gid)
        for g in self._search_gates:
            flags[g] = flags.get(g, 0) | _SEARCH
        anchored = {t for forms in self._forms.values() for t, _ in forms}
        anchored.update(h for heads, _ in self._heads.values() for h in heads)
        # a form ending in \b where the key ends makes its plan depend on what follows the key
        conditional = {t for fs in self._forms.values() for t, after in fs if after is not None}
        automaton = ahocorasick.Automaton()
        for key in anchored | flags.keys() | gates.keys():
            token = _TOKEN.match(key)
            word = key[: token.end()] if token is not None and token.end() < len(key) else None
            plans: dict[Any, _Plan | None] | None = {} if key in anchored else None
            extra = None
            if key in flags or key in gates:
                extra = (flags.get(key, 0), frozenset(gates.get(key, ())))
            fixed = word is not None and key not in conditional
            info: _Key = (len(key), plans, key, word, fixed, extra)
            automaton.add_word(key[::-1], info)
        automaton.make_automaton()
        return automaton

    # -- corrections -------------------------------------------------------------------------

    def with_examples(self, examples: Iterable[LabelledExample]) -> Classifier:
        """This classifier plus a workspace's corrections, sharing everything compiled.

        Building a classifier loads and compiles the whole vocabulary (most of a second, while
        a chat request waits); corrections only add a nearest-neighbour index on top, so a
        workspace gets a copy that shares the compiled parts and their caches with this one.
        """
        twin = copy.copy(self)
        twin._examples = []
        twin._example_index = {}
        for ex in examples:
            twin.add_example(ex)
        return twin

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

    def _candidates(self, token: str) -> tuple[_Entry, ...]:
        """The branches that may start at a word spelt ``token``, in the order they are tried
        (cached per distinct word): exact-word triggers, then word prefixes, then digits."""
        got: list[_Entry] = list(self._exact.get(token, ()))
        by = self._by_prefix
        for n in range(1, min(len(token), self._max_prefix) + 1):
            hit = by.get(token[:n])
            if hit:
                got.extend(hit)
        if token[0] in _DIGITS:
            got.extend(self._digit_entries)
        found = tuple(dict.fromkeys(got))
        found = self._candidate_sets.setdefault(found, found)  # shared: plans key on identity
        cache = self._token_cache
        if len(cache) >= _TOKEN_CACHE_LIMIT:
            cache.clear()
        cache[token] = found
        return found

    def _plan(self, key: str, cands: tuple[_Entry, ...], word_after: bool) -> _Plan | None:
        """Which of the candidate branches of a word match where ``key`` is the longest key
        starting it; ``word_after`` tells whether a word character follows ``key``.

        Every key found at that word is a prefix of ``key``, so a literal branch matches there
        with its first form (in the engine's order) that ``key`` starts with, and a regex branch
        can only match where one of its prefixes does.
        """
        steps: list[_Step] = []
        ignores: list[_Step] = []
        gated: dict[int, list[_Step]] = {}
        for rank, entry in enumerate(cands):
            forms = self._forms.get(entry)
            if forms is not None:
                n = _first_fit(forms, key, word_after)
                if n:
                    (ignores if entry[4] == _IGNORE else steps).append((rank, n, entry))
                continue
            heads, gate = self._heads[entry]
            if not key.startswith(heads):
                continue
            if gate is not None:
                gated.setdefault(gate, []).append((rank, 0, entry))
            else:
                (ignores if entry[4] == _IGNORE else steps).append((rank, 0, entry))
        if not steps and not ignores and not gated:
            return None
        by_gate = {g: tuple(v) for g, v in gated.items()}
        return tuple(steps), tuple(ignores), by_gate or None, frozenset(by_gate)

    def _hits(
        self, lower: str
    ) -> tuple[
        list[tuple[int, int, int, _Entry]],
        dict[str, list[tuple[int, int]]],
        int,
        list[tuple[int, int]],
    ]:
        """Every branch matching at a word of ``lower``, as ``(start, rank, end, entry)`` in the
        order of trying them word by word, then those searched anywhere; with the ``ignore``
        spans found per label, the reply's flags and the spans of its negation keys (none when
        no cue counts, so that nothing is negated).

        This loop runs for every key found in every reply, so it is written flat, with the
        module constants in locals.
        """
        last = len(lower) - 1
        word_chars, not_word, missing = TOKEN_CHARS, _NOT_WORD, _MISSING
        flags = 0
        cues: list[tuple[int, int]] = []
        negation = False
        gates: set[int] = set()
        hits: list[tuple[int, int, int, _Entry]] = []
        add_hit = hits.append
        label_ignored: dict[str, list[tuple[int, int]]] = {}
        waiting: list[tuple[int, _Plan]] = []
        prev = -1
        for end, (length, plans, key, word, fixed, extra) in self._automaton.iter(lower[::-1]):
            start = last - end
            if extra is not None:
                fl, gids = extra
                flags |= fl
                if fl & _NEGATION_CUE:
                    cues.append((start, start + length))
                    if not negation and fl & (_NEGATION_WORD | _NEGATION_NT):
                        negation = self._stands(lower, start, start + length, fl)
                if gids:
                    gates |= gids
            if plans is None or start == prev or (start and lower[start - 1] in word_chars):
                continue
            # Aho-Corasick reports the keys ending at a place longest first: over the reversed
            # reply, the first key reported at a word is the longest one starting it.
            prev = start
            if fixed:
                context: Any = ""
            else:
                nxt = lower[start + length : start + length + 1]
                context = "" if nxt in not_word else self._context(lower, start, nxt, word)
            plan = plans.get(context, missing)
            if plan is missing:
                plan = self._plan_for(lower, start, plans, context, key, word)
            if plan is None:
                continue
            steps, ignores, gated, _gids = plan
            if gated is not None:
                waiting.append((start, plan))  # its gates may come later in the scan
            for rank, n, entry in steps:
                if n:
                    add_hit((start, rank, start + n, entry))
                else:
                    m = entry[0](lower, start)
                    if m is not None:
                        add_hit((start, rank, m.end(), entry))
            if ignores:
                self._ignored(lower, start, ignores, label_ignored)
        if waiting and gates:
            self._open_gates(lower, waiting, gates, hits, label_ignored)
        hits.sort()  # (start, rank) never ties
        if flags & _SEARCH or self._always_searched:
            for gid, entry in self._searched:
                if gid is None or gid in gates:
                    self._search(lower, entry, hits, label_ignored)
        return hits, label_ignored, flags, cues if negation else []

    @staticmethod
    def _open_gates(
        lower: str,
        waiting: list[tuple[int, _Plan]],
        gates: set[int],
        hits: list[tuple[int, int, int, _Entry]],
        label_ignored: dict[str, list[tuple[int, int]]],
    ) -> None:
        """Run the gated regex steps left waiting whose gate the reply turned out to have."""
        for start, (_steps, _ignores, gated, gids) in waiting:
            for gid in gids & gates:
                for rank, _n, entry in gated[gid]:
                    m = entry[0](lower, start)
                    if m is None:
                        continue
                    if entry[4] == _IGNORE:
                        label_ignored.setdefault(entry[2], []).append((start, m.end()))
                    else:
                        hits.append((start, rank, m.end(), entry))

    def _context(self, lower: str, start: int, nxt: str, word: str | None) -> Any:
        """What follows a key found at ``start``, as far as its plan is concerned, when it is a
        word character ``nxt``: "w" if it is not part of the word the key starts, else the
        identity of the candidate set of that longer word ("blockers", "120ms")."""
        if word is None and nxt in TOKEN_CHARS:
            return id(self._word_candidates(lower, start))
        return "w" if is_word(nxt) else ""

    def _word_candidates(self, lower: str, start: int) -> tuple[_Entry, ...]:
        """The candidates of the word starting at ``start``."""
        token = _TOKEN.match(lower, start).group()
        return self._token_cache.get(token) or self._candidates(token)

    def _plan_for(
        self,
        lower: str,
        start: int,
        plans: dict[Any, _Plan | None],
        context: Any,
        key: str,
        word: str | None,
    ) -> _Plan | None:
        """Make and cache the plan of ``key``, found at ``start``, in its context."""
        if context.__class__ is int:
            cands = self._word_candidates(lower, start)
        else:
            token = word or key
            cands = self._token_cache.get(token) or self._candidates(token)
        if len(plans) >= _PLANS_PER_KEY:
            plans.clear()
        plan = plans[context] = self._plan(key, cands, context != "")
        return plan

    @staticmethod
    def _ignored(
        lower: str, start: int, steps: tuple[_Step, ...], spans: dict[str, list[tuple[int, int]]]
    ) -> None:
        """Record the spans that ``ignore`` branches match at ``start``, per label."""
        for _rank, n, entry in steps:
            if n:
                spans.setdefault(entry[2], []).append((start, start + n))
            else:
                m = entry[0](lower, start)
                if m is not None:
                    spans.setdefault(entry[2], []).append((start, m.end()))

    @staticmethod
    def _stands(lower: str, start: int, stop: int, flag: int) -> bool:
        """Whether a negation cue counts for the reply: a word or phrase standing alone, or
        n't at the end of a word."""
        nxt = lower[stop : stop + 1]
        if flag & _NEGATION_NT:
            return not is_word(nxt)
        return (not start or lower[start - 1] not in TOKEN_CHARS) and nxt not in TOKEN_CHARS

    @staticmethod
    def _search(
        lower: str,
        entry: _Entry,
        hits: list[tuple[int, int, int, _Entry]],
        label_ignored: dict[str, list[tuple[int, int]]],
    ) -> None:
        """Matches of a branch that does not start with a word, at word starts or punctuation."""
        search = entry[0]
        m = search(lower)
        while m is not None:
            s = m.start()
            if not (s and lower[s] in TOKEN_CHARS and lower[s - 1] in TOKEN_CHARS):
                if entry[4] == _IGNORE:
                    label_ignored.setdefault(entry[2], []).append((s, m.end()))
                else:
                    hits.append((s, 0, m.end(), entry))
            m = search(lower, s + 1)

    def _negated_near(self, lower: str, start: int, cues: list[tuple[int, int]]) -> bool:
        """``_negated``, run only when a negation cue lies in the window before ``start``."""
        low = start - 40
        for a, b in cues:
            if a >= low and b <= start:
                return self._negated(lower, start)
        return False

    def _evidence(
        self, lower: str, trace: list[tuple[str, str, float]] | None = None
    ) -> tuple[dict[str, float], dict[str, float], set[str], bool, bool, bool]:
        """Vocabulary hits of one reply: signal and topic sums per label, denied labels, cues,
        and whether the reply may compare numbers."""
        hits, label_ignored, flags, cues = self._hits(lower)
        ignored = (
            [m.span() for m in self.vocab.shared.ignore.finditer(lower)]
            if flags & _IGNORED_SPAN
            else None
        )
        signal: dict[str, float] = {}
        topic: dict[str, float] = {}
        denied: set[str] = set()
        done: set[int] = set()
        trouble = False
        good = False
        for s, _rank, e, entry in hits:
            _fn, pid, lab, weight, kind, negatable = entry
            if pid in done:
                continue
            if ignored and any(a < e and s < b for a, b in ignored):
                continue
            if kind >= _TROUBLE:
                if kind == _GOOD:
                    good = True
                    done.add(pid)
                elif not (cues and self._negated_near(lower, s, cues)):
                    trouble = True
                    done.add(pid)
                continue
            if label_ignored:
                spans = label_ignored.get(lab)
                if spans and any(a < e and s < b for a, b in spans):
                    continue
            if negatable and cues and self._negated_near(lower, s, cues):
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
        return signal, topic, denied, trouble, good, bool(flags & _NUMERIC)

    def scores(self, text: str, question: str | None = None) -> dict[str, float]:
        """Raw evidence score per label (0.6 = decision threshold); useful for explanations."""
        lower = text.lower()
        signal, topic, denied, trouble, good, numeric = self._evidence(lower)
        if numeric and _ANY_DIGIT.search(lower) is not None:
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
        known = self._confidence
        for lab, s in self.scores(text, question).items():
            if s >= SCORE_AT_THRESHOLD:
                conf = known.get(s)
                if conf is None:  # rounding is slow and sums of weights repeat: remember them
                    if len(known) >= _CONFIDENCE_CACHE_LIMIT:
                        known.clear()
                    conf = known[s] = round(_confidence(s), 4)
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
