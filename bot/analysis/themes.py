"""Group replies about the same underlying problem into themes, across people and weeks.

People describe one problem in many ways ("waiting on GPU quota", "still no A100s approved",
"infra hasn't bumped our GPU limit"). Each reply is reduced to a small weighted term vector:

* concepts from ``vocab/concepts.toml`` (synonyms mapped to one id) weigh most, so different
  wordings meet;
* the model the reply is about (version stripped) is a strong hint;
* other content words count a little, so unusual shared nouns ("sessionizer") still help.

A :class:`ThemeIndex` holds, per team/channel, one profile per theme (summed term weights and
size). A reply joins the most similar theme above :data:`JOIN_THRESHOLD` (cosine similarity with
IDF weighting computed from the index itself, so terms common to many themes count less) or
founds a new theme. Candidate themes come from an inverted index (term -> themes), so the cost
of assigning does not grow with the number of themes, only with how many share its terms.

Theme keys are derived from content (slug of the founding reply's most distinctive terms, with
``-2``, ``-3`` suffixes for collisions), never from random ids or clocks, so the same input order
always yields the same keys, and a persisted index (:meth:`ThemeIndex.profiles`) reloads to an
index that behaves identically (:meth:`ThemeIndex.from_profiles`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from bot.analysis.vocab_loader import CONCEPTS_FILE, DEFAULT_VOCAB_DIR, Concepts, load_concepts

JOIN_THRESHOLD = 0.45
"""Minimum cosine similarity for a reply to join an existing theme."""

CONCEPT_WEIGHT = 2.0
MODEL_WEIGHT = 1.6
LABEL_WEIGHT = 0.6
WORD_WEIGHT = 0.45
MAX_POSTINGS = 256
"""Terms shared by more themes than this stop nominating candidates (they still score)."""
MAX_PROFILE_TERMS = 60
"""Profiles keep only their heaviest terms so they stay small in storage and fast to compare."""

_TOKEN = re.compile(r"[a-z][a-z0-9]*(?:[-'][a-z0-9]+)*")
_VERSION = re.compile(r"-v\d+(?:\.\d+)*$")


@dataclass(frozen=True, slots=True)
class ThemeMatch:
    """Where one reply went: theme key, its readable label, and whether it founded the theme."""

    key: str
    label: str
    is_new: bool


@dataclass(slots=True)
class ThemeProfile:
    """Plain, JSON-able state of one theme, for storage."""

    key: str
    label: str
    terms: dict[str, float]
    size: int

    def as_dict(self) -> dict[str, object]:
        return {"key": self.key, "label": self.label, "terms": dict(self.terms), "size": self.size}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> ThemeProfile:
        terms = data.get("terms")
        if not isinstance(terms, dict):
            raise ValueError("theme profile needs a 'terms' object")
        return cls(
            key=str(data["key"]),
            label=str(data["label"]),
            terms={str(k): float(v) for k, v in terms.items()},
            size=int(data["size"]),  # type: ignore[call-overload]
        )


@lru_cache(maxsize=8)
def _concepts(vocab_dir: Path) -> Concepts:
    return load_concepts(vocab_dir / CONCEPTS_FILE)


def is_recurring(weeks: set[str], people: set[str]) -> bool:
    """A theme recurs when it shows up in two or more ISO weeks or from three or more people."""
    return len(weeks) >= 2 or len(people) >= 3


def _plain(term: str) -> str:
    return term.split(":", 1)[1] if ":" in term else term


@dataclass(slots=True)
class _Theme:
    key: str
    label: str
    terms: dict[str, float]
    size: int
    norm: float = 0.0


@dataclass(slots=True)
class ThemeIndex:
    """Themes of one team/channel. Not thread-safe; one index per scope."""

    vocab_dir: Path = DEFAULT_VOCAB_DIR
    threshold: float | None = None
    _themes: list[_Theme] = field(default_factory=list)
    _postings: dict[str, list[int]] = field(default_factory=dict)
    _keys: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        if self.threshold is None:
            self.threshold = JOIN_THRESHOLD

    # -- persistence ---------------------------------------------------------------------------

    @classmethod
    def from_profiles(
        cls, profiles: Iterable[ThemeProfile], vocab_dir: Path | None = None
    ) -> ThemeIndex:
        """Rebuild an index from stored profiles (in the order they were created)."""
        idx = cls(vocab_dir=vocab_dir or DEFAULT_VOCAB_DIR)
        for p in profiles:
            idx._add_theme(_Theme(p.key, p.label, dict(p.terms), p.size))
        return idx

    def profiles(self) -> list[ThemeProfile]:
        """Current state as plain data, in creation order; round-trips via ``from_profiles``."""
        return [ThemeProfile(t.key, t.label, dict(t.terms), t.size) for t in self._themes]

    def __len__(self) -> int:
        return len(self._themes)

    # -- vectors -------------------------------------------------------------------------------

    def vector(
        self, text: str, labels: Collection[str] = (), model: str | None = None
    ) -> dict[str, float]:
        """Weighted terms of one reply: concepts, model, labels and other content words."""
        concepts = _concepts(self.vocab_dir)
        stop = concepts.stopwords
        vec: dict[str, float] = {}
        for tok in _TOKEN.findall(text.lower()):
            if len(tok) < 3 and not tok[:1].isalpha():
                continue
            c = concepts.concept_of(tok)
            if c is None and tok.endswith("s") and len(tok) > 3:
                c = concepts.concept_of(tok[:-1])
            if c is not None:
                vec["c:" + c] = CONCEPT_WEIGHT * concepts.weights.get(c, 1.0)
            elif tok not in stop and len(tok) >= 4 and not any(ch.isdigit() for ch in tok):
                w = tok[:-1] if tok.endswith("s") and not tok.endswith("ss") else tok
                vec.setdefault("w:" + w, WORD_WEIGHT)
        if model:
            vec["m:" + _VERSION.sub("", model.lower())] = MODEL_WEIGHT
        for lab in labels:
            vec["l:" + lab] = LABEL_WEIGHT
        return vec

    def _idf(self, term: str) -> float:
        # Specificity comes from concept weights in concepts.toml rather than from document
        # frequency, so a theme's similarity does not drift as unrelated themes accumulate and
        # stored norms stay exact.
        return 1.0

    def best_match(self, vec: dict[str, float]) -> tuple[float, int] | None:
        """Most similar existing theme as (similarity, index), via the inverted index.

        Similarity is the cosine between the reply's IDF-weighted terms and the theme centroid
        (term weight / size). Only themes sharing a term come up as candidates, and terms whose
        posting list is longer than :data:`MAX_POSTINGS` (shared by very many themes, hence not
        distinctive) do not nominate candidates, so the cost stays flat as themes accumulate.
        """
        postings = self._postings
        idf = {t: self._idf(t) for t in vec}
        dots: dict[int, float] = {}
        long_terms: list[str] = []
        for t, w in vec.items():
            plist = postings.get(t)
            if not plist or t.startswith("l:"):
                continue
            if len(plist) > MAX_POSTINGS:
                long_terms.append(t)
                continue
            qw = w * idf[t] * idf[t]
            for i in plist:
                th = self._themes[i]
                dots[i] = dots.get(i, 0.0) + qw * th.terms.get(t, 0.0) / th.size
        if not dots:
            return None
        extra = [t for t in vec if t.startswith("l:") or t in long_terms]
        qnorm = math.sqrt(sum((w * idf[t]) ** 2 for t, w in vec.items())) or 1.0
        best: tuple[float, int] | None = None
        for i in sorted(dots):
            th = self._themes[i]
            dot = dots[i]
            for t in extra:
                tw = th.terms.get(t)
                if tw:
                    dot += vec[t] * idf[t] * idf[t] * tw / th.size
            sim = dot / (qnorm * (th.norm or 1.0))
            if best is None or sim > best[0] + 1e-12:
                best = (sim, i)
        return best

    def _refresh_norm(self, th: _Theme) -> None:
        # IDF is taken as 1 on the theme side so norms can be kept incrementally
        th.norm = math.sqrt(sum((w / th.size) ** 2 for w in th.terms.values())) or 1.0

    def assign(
        self, text: str, labels: Collection[str], model: str | None = None
    ) -> ThemeMatch | None:
        """Put a labelled reply into its theme; replies without any label get no theme."""
        if not labels:
            return None
        vec = self.vector(text, labels, model)
        if not any(t.startswith(("c:", "m:", "w:")) for t in vec):
            return None
        best = self.best_match(vec)
        if best is not None and best[0] >= (self.threshold or JOIN_THRESHOLD):
            th = self._themes[best[1]]
            self._merge(best[1], vec)
            return ThemeMatch(th.key, th.label, is_new=False)
        key, label = self._name(vec)
        self._add_theme(_Theme(key, label, dict(vec), 1))
        return ThemeMatch(key, label, is_new=True)

    def _merge(self, i: int, vec: dict[str, float]) -> None:
        th = self._themes[i]
        for t, w in vec.items():
            if t not in th.terms:
                self._postings.setdefault(t, []).append(i)
            th.terms[t] = th.terms.get(t, 0.0) + w
        th.size += 1
        if len(th.terms) > MAX_PROFILE_TERMS:
            keep = sorted(th.terms.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_PROFILE_TERMS]
            for t in set(th.terms) - {k for k, _ in keep}:
                plist = self._postings.get(t)
                if plist and i in plist:
                    plist.remove(i)
            th.terms = dict(keep)
        self._refresh_norm(th)

    def _add_theme(self, th: _Theme) -> None:
        i = len(self._themes)
        self._refresh_norm(th)
        self._themes.append(th)
        self._keys.add(th.key)
        for t in th.terms:
            self._postings.setdefault(t, []).append(i)

    def _name(self, vec: dict[str, float]) -> tuple[str, str]:
        """Key and label from the founding reply's most distinctive terms (deterministic)."""
        concepts = _concepts(self.vocab_dir)
        order = {t: i for i, t in enumerate(vec)}  # text order: the subject usually comes first
        ranked = sorted(
            (t for t in vec if not t.startswith("l:")),
            key=lambda t: (-round(vec[t] * self._idf(t), 6), order[t]),
        )
        top = ranked[:2] if ranked else ["l:" + sorted(t for t in vec)[0]]
        words: list[str] = []
        for t in top:
            if t.startswith("c:"):
                words.append(concepts.labels.get(t[2:], t[2:]))
            else:
                words.append(_plain(t))
        label = " + ".join(words)
        slug = "-".join(re.sub(r"[^a-z0-9]+", "-", w.lower()).strip("-") for w in words)
        slug = slug[:48].strip("-") or "theme"
        key = slug
        n = 2
        while key in self._keys:
            key = f"{slug}-{n}"
            n += 1
        return key, label
