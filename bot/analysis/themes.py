"""Group replies about the same underlying problem into themes, across people and weeks.

People describe one problem in many ways ("waiting on GPU quota", "still no A100s approved",
"infra hasn't bumped our GPU limit"), and a team's recurring problems are usually about one
concrete thing (a model, a table, a test, a system). Each reply is reduced to a small set of
weighted terms of two kinds:

* **content**: concepts from ``vocab/concepts.toml`` (general synonyms mapped to one id, so
  different wordings meet), other content words (lower-cased, numbers dropped, lightly stemmed),
  and the reply's labels (weakly);
* **entities**: what the reply is about, learned from the text itself rather than from a list:
  hyphenated names (``fraud-model``, version suffix stripped; an abbreviated spelling such as
  ``fm-gbm`` or ``fm gbm`` is matched to a known ``fraud-margin-gbm`` by initials; the bare head
  word of a known model, "the scorer" for ``fraud-scorer``, when only one known name ends in
  it), code-like identifiers (``snake_case``, ``schema.table``, anything in backticks), version
  tags (``v3``) and the model the pipeline found. A hyphenated compound with a stopword or a
  concept word among its parts ("gpu-hours", "per-position", "swap-traffic") is an ordinary
  word, not a name: taken for an entity it would split a theme (the different-entity penalty).

A :class:`ThemeIndex` holds, per team/channel, one profile per theme (summed term weights and
size). Term specificity is learned online from the index itself: a term found in many of the
team's themes (document frequency = length of its posting list) counts less than a rare one,
so a team's everyday vocabulary stops linking unrelated problems while a rare shared word
("sessionizer") still does. Similarity of a reply to a theme is the IDF-weighted overlap of
their content terms (normalised by both sides' mass), plus a bonus when they name the same
entity and a small penalty when both name entities but different ones.

A labelled reply only joins a theme whose replies often carry one of its labels
(:data:`LABEL_SHARE`): a team's latency theme does not absorb a complaint about juggling
debugging tools that happens to mention a slow query. It joins the most similar such theme at
or above :data:`JOIN_THRESHOLD`, and founds a theme when none is close enough; an unlabelled
reply (often a status update: "X went live, zero failures since") may join any theme when it
is clearly similar (:data:`UNLABELLED_THRESHOLD`) but never founds one. A reply that says it
goes on with a story ("still no quota", "red again") joins a little more easily
(:data:`CONTINUATION_DISCOUNT`), one that announces a new report ("heads up", "someone leaked")
less easily (:data:`NEW_REPORT_PENALTY`).

Candidate themes come from an inverted index (term -> themes); terms shared by more than
:data:`MAX_POSTINGS` themes do not nominate candidates (unless nothing rarer is shared), and
candidates are scored in order of an upper bound of their similarity, stopping as soon as no
bound can beat the best (or reach the join threshold), so the cost of assigning does not grow
with the number of themes. Joining a theme touches only the reply's own terms. The entity
bonus needs a shared label too: one model has many unrelated problems (its latency, its labels,
its explanations). Everything the index knows is in its profiles (document frequencies, known
entities and head words are derived from them), so a persisted index
(:meth:`ThemeIndex.profiles`) reloads to one that behaves identically
(:meth:`ThemeIndex.from_profiles`).

Theme keys and labels come from the founding reply (its entity and its most distinctive
concept, e.g. "Fraud-model false positives" / ``fraud-model-false-positives``, or just
"GPU quota"), with ``-2``, ``-3`` suffixes for collisions; never random ids or clocks, so the
same input order always yields the same keys.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from bot.analysis.labels import display_name
from bot.analysis.model_names import MODEL_ROLES
from bot.analysis.vocab_loader import CONCEPTS_FILE, DEFAULT_VOCAB_DIR, Concepts, load_concepts

JOIN_THRESHOLD = 0.4
"""Minimum similarity for a labelled reply to join an existing theme (chosen on weeks W10-W12
of the development corpus)."""
UNLABELLED_THRESHOLD = 0.45
"""Minimum similarity for a reply with no label to join a theme (it never founds one)."""
CONTINUATION_DISCOUNT = 0.1
"""Taken off both thresholds when the reply says it goes on with a story ("still", "again",
``continuation`` in ``concepts.toml``). Such replies belong to a theme more often than others
(about half of them against a third, in dev and in the read corpora of ``eval/``), and they are
the ones whose wording has drifted furthest from the reply that founded the theme. Chosen on
weeks W10-W12 of the development corpus; theme F1 rose on the held-back weeks (0.440 to 0.453)
and on five of the seven corpora in ``eval/`` (the other two moved by less than 0.005)."""
NEW_REPORT_PENALTY = 0.2
"""Added to both thresholds when the reply announces a new report ("heads up", "someone",
``new_report`` in ``concepts.toml``): about one in seven of those replies belongs to a theme,
against a third of the rest, in dev and in the read corpora alike."""

CONCEPT_WEIGHT = 2.0
WORD_WEIGHT = 0.3
LABEL_WEIGHT = 0.3
ENTITY_WEIGHT = 2.0
VERSION_WEIGHT = 1.0
ENTITY_BONUS = 0.3
"""Added to the similarity when the reply names an entity the theme is about."""
ENTITY_PENALTY = 0.1
"""Subtracted when both name entities, but different ones (same concern, other model)."""
ENTITY_SHARE = 0.3
"""An entity characterises a theme when its weight per reply is at least this."""
LABEL_SHARE = 0.3
"""A theme is about a label when at least this share of its replies carry it: a labelled reply
only joins a theme about one of its labels, and only gets the entity bonus from one."""
IDF_PRIOR = 8.0
"""Pseudo-count of themes, so a young index does not treat every word as highly specific."""
MASS_SCALE = 2.0
MAX_POSTINGS = 16
"""Terms shared by more themes than this stop nominating candidates (they still score)."""
MAX_FALLBACK_POSTINGS = 32
"""When no term rarer than :data:`MAX_POSTINGS` is shared, the least common term shared by at
most this many themes nominates candidates instead."""
MAX_CANDIDATES = 4
"""At most this many candidates (those with the highest similarity bounds) are scored fully.
Candidates are visited best bound first, so the winner is almost always among the first few:
4 and 24 gave the same themes on the dev corpus and on seven of the eight labelled corpora
(one false pair fewer with 4 on the eighth)."""
MAX_PROFILE_TERMS = 60
"""Profiles keep their heaviest terms so they stay small in storage and fast to compare."""
PROFILE_SLACK = 20
"""A profile may grow this far past :data:`MAX_PROFILE_TERMS` before it is cut back, so the cut
(a sort) happens once per many joins rather than on every join of a large theme."""

_NOISE = re.compile(r"<[@#!][^>]*>|:[a-z0-9_+'-]+:|https?://\S+", re.IGNORECASE)
"""Mentions, channel links, emoji codes and links: text that says nothing about the problem."""
_TICKET = re.compile(r"[a-z]{2,}-\d+")
_TOKEN_BYTES = bytes(
    b + 32 if 65 <= b <= 90 else b if 48 <= b <= 57 or 97 <= b <= 122 or b == 45 else 32
    for b in range(256)
)
"""Byte table lower-casing ASCII letters and turning everything but letters, digits and hyphens
(other punctuation, UTF-8 bytes of emoji and arrows) into spaces: one C-level pass, then split."""
_IDENT = re.compile(r"`([a-z0-9_.-]+)`|\b([a-z][a-z0-9]*(?:[_.][a-z0-9]+)+)\b")
_TOKEN = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
_VERSION_SUFFIX = re.compile(r"-v\d+(?:\.\d+)*$")
_VERSION_TAG = re.compile(r"v\d+")
_MODEL_HEADS = frozenset(MODEL_ROLES)
"""Last words of model names ("scorer", "ranker") that may stand alone for the model."""
_WORD_PREFIXES = frozenset((
    "re", "pre", "non", "un", "co", "sub", "semi", "half", "mid", "self", "under", "over", "top",
    "cross", "multi", "inter", "intra", "post", "anti", "de", "mis", "out", "in", "on", "off",
    "up", "down", "well", "ill", "long", "short", "full", "high", "low",
))  # fmt: skip
"""First parts of ordinary hyphenated words ("re-run", "half-loaded"), which name no entity."""
_WORD_PARTICLES = frozenset((
    "up", "ups", "off", "offs", "in", "ins", "out", "outs", "on", "ons", "down", "based", "like",
    "related", "wise", "level",
))  # fmt: skip
_SLUG = re.compile(r"[^a-z0-9]+")
_SUFFIXES = (
    ("ations", ""), ("ation", ""), ("ies", "y"), ("ied", "y"), ("ings", ""), ("ing", ""),
    ("ed", ""), ("es", "e"), ("s", ""),
)  # fmt: skip


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


def stem(word: str) -> str:
    """Light suffix stripping so "matured", "matures" and "mature" meet (not a real stemmer)."""
    if len(word) <= 4:
        return word[:-1] if len(word) > 3 and word[-1] == "s" and word[-2] != "s" else word
    for suffix, repl in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith("ss"):
                break
            word = word[: len(word) - len(suffix)] + repl
            if suffix in ("ing", "ings", "ed") and word[-1] == word[-2] and word[-1] not in "ls":
                word = word[:-1]  # "refitting" -> "refit"
            break
    if len(word) > 4 and word[-1] == "e":
        word = word[:-1]
    return word


def _abbreviates(short: str, long: str) -> bool:
    """``short`` abbreviates ``long``: same first letter, its letters in order ("cb", "cback")."""
    if short == long:
        return True
    if not short or len(short) >= len(long) or short[0] != long[0]:
        return False
    rest = iter(long[1:])
    return all(ch in rest for ch in short[1:])


def same_entity(a: str, b: str) -> bool:
    """Hyphenated names with as many parts, each equal to or an abbreviation of the other's."""
    pa, pb = a.split("-"), b.split("-")
    return len(pa) == len(pb) and all(
        _abbreviates(x, y) or _abbreviates(y, x) for x, y in zip(pa, pb, strict=True)
    )


def _signature(name: str) -> str:
    return "".join(p[:1] for p in name.split("-"))


@dataclass(slots=True)
class _Theme:
    key: str
    label: str
    terms: dict[str, float]
    size: int
    content: float = 0.0  # summed weight of content terms (all but entities)
    entity_terms: list[str] = field(default_factory=list)
    label_terms: list[str] = field(default_factory=list)
    entities: frozenset[str] = frozenset()  # entity terms that characterise the theme
    about: frozenset[str] = frozenset()  # label terms enough of its replies carry
    inv_norm: float = 0.0  # 1 / sqrt(content per reply * MASS_SCALE), 0 without content

    def refresh(self) -> None:
        """Derive the normaliser, characteristic entities and labels from terms and size."""
        size = self.size
        mass = self.content / size
        self.inv_norm = 1.0 / math.sqrt(mass * MASS_SCALE) if mass > 0 else 0.0
        terms = self.terms
        if self.entity_terms:
            need = ENTITY_SHARE * size
            self.entities = frozenset([t for t in self.entity_terms if terms[t] >= need])
        if self.label_terms:
            need = LABEL_WEIGHT * size * LABEL_SHARE
            self.about = frozenset([t for t in self.label_terms if terms[t] >= need])


@dataclass(slots=True)
class ThemeIndex:
    """Themes of one team/channel. Not thread-safe; one index per scope."""

    vocab_dir: Path = DEFAULT_VOCAB_DIR
    threshold: float | None = None
    _themes: list[_Theme] = field(default_factory=list)
    _postings: dict[str, dict[int, float]] = field(default_factory=dict)
    """term -> {theme index: the term's summed weight in that theme}."""
    _inv_size: list[float] = field(default_factory=list)
    """``1 / size`` per theme, kept beside ``_themes`` because scoring reads it for every
    posting entry it visits (derived: ``_merge`` and ``_add_theme`` keep it in step)."""
    _keys: set[str] = field(default_factory=set)
    _next_suffix: dict[str, int] = field(default_factory=dict)
    """Slug -> the suffix to try first on its next collision, so naming stays O(1) when many
    themes share a label ("gpu-quota", "gpu-quota-2", ...)."""
    _entities: dict[str, list[str]] = field(default_factory=dict)  # signature -> names
    _known: set[str] = field(default_factory=set)
    _heads: dict[str, str | None] = field(default_factory=dict)
    """Head word -> the one known entity ending in it (None once two names share it)."""

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
            idx._add_theme(p.key, p.label, dict(p.terms), p.size)
        return idx

    def profiles(self) -> list[ThemeProfile]:
        """Current state as plain data, in creation order; round-trips via ``from_profiles``."""
        return [ThemeProfile(t.key, t.label, dict(t.terms), t.size) for t in self._themes]

    def profile(self, key: str) -> ThemeProfile | None:
        """The current state of one theme, for saving it after a reply joined or founded it."""
        for t in reversed(self._themes):  # the theme just touched is usually a recent one
            if t.key == key:
                return ThemeProfile(t.key, t.label, dict(t.terms), t.size)
        return None

    def __len__(self) -> int:
        return len(self._themes)

    # -- vectors -------------------------------------------------------------------------------

    def _entity(self, name: str) -> str:
        """Canonical spelling of an entity name: a known name it abbreviates or is, else itself."""
        if name in self._known:
            return name
        matches = [e for e in self._entities.get(_signature(name), ()) if same_entity(name, e)]
        return min(matches) if matches else name

    def _note_entity(self, term: str) -> None:
        if term.startswith("e:"):
            name = term[2:]
            if name not in self._known:
                self._known.add(name)
                self._entities.setdefault(_signature(name), []).append(name)
                head = name.rsplit("-", 1)[-1]
                if head in _MODEL_HEADS:
                    # a head shared by two known names ("fraud-scorer", "risk-scorer") names
                    # neither; decided the same way whatever order the names arrived in
                    self._heads[head] = name if self._heads.get(head, name) == name else None

    def vector(
        self, text: str, labels: Collection[str] = (), model: str | None = None
    ) -> dict[str, float]:
        """Weighted terms of one reply: concepts, words, labels (content) and entities."""
        concepts = _concepts(self.vocab_dir)
        cache = _TERM_CACHE.setdefault(self.vocab_dir, {})
        entities = self._entities
        heads = self._heads
        if "<" in text or ":" in text:
            text = _NOISE.sub(" ", text)
        vec: dict[str, float] = {}
        if "_" in text or "." in text or "`" in text:
            for m in _IDENT.finditer(text.lower()):
                ident = (m.group(1) or m.group(2)).strip(".-")
                if "_" in ident or "." in ident:
                    vec["i:" + ident] = ENTITY_WEIGHT
        get = cache.get
        prev = ""
        for raw in text.encode().translate(_TOKEN_BYTES).split():
            info = get(raw)
            if info is None:
                info = _token_info(raw.decode(), concepts)
                if len(cache) < _TERM_CACHE_LIMIT:
                    cache[raw] = info
            tok, terms, name, kind = info
            if kind == _HYPHENATED:
                if name is not None:
                    vec["e:" + self._entity(name)] = ENTITY_WEIGHT
                prev = ""
            else:
                if heads and tok in heads:
                    named = heads[tok]
                    if named is not None:
                        vec["e:" + named] = ENTITY_WEIGHT  # "the scorer" for fraud-scorer
                elif (
                    prev
                    and kind == _ALPHA
                    and (len(tok) <= 3 or len(prev) <= 3)
                    and prev[0] + tok[0] in entities
                ):
                    name = self._entity(prev + "-" + tok)  # "fm gbm" written for "fm-gbm"
                    if name in self._known:
                        vec["e:" + name] = ENTITY_WEIGHT
                prev = tok if kind == _ALPHA else ""
            for term, weight in terms:
                if vec.get(term, 0.0) < weight:
                    vec[term] = weight
        if model:
            name = _VERSION_SUFFIX.sub("", model.lower())
            vec["e:" + self._entity(name)] = ENTITY_WEIGHT
        for lab in labels:
            vec["l:" + lab] = LABEL_WEIGHT
        return vec

    # -- matching ------------------------------------------------------------------------------

    def _idf(self, term: str) -> float:
        if term.startswith("l:"):
            return 1.0
        df = len(self._postings.get(term, ()))
        return math.log((len(self._themes) + IDF_PRIOR) / (df + 1))

    def best_match(
        self, vec: dict[str, float], floor: float | None = None
    ) -> tuple[float, int] | None:
        """Most similar theme this reply may join, as (similarity, index), via the inverted index.

        A labelled reply is only compared with themes about one of its labels. With ``floor``,
        themes that cannot reach it are skipped without being scored (an upper bound of their
        similarity is below it) and ``None`` means nothing reaches it.
        """
        postings = self._postings
        themes = self._themes
        inv_size = self._inv_size
        log_n = math.log(len(themes) + IDF_PRIOR)
        logs = _LOG_1P
        dots: dict[int, float] = {}
        late: list[tuple[dict[int, float], float]] = []  # scored only on nominated themes
        late_max = 0.0
        rarest: tuple[int, str] | None = None  # least common of the common terms
        q_mass = 0.0
        q_entities: list[str] = []
        q_labels: list[str] = []
        for t, w in vec.items():
            kind = t[0]
            plist = postings.get(t)
            if kind in "eiv":
                q_entities.append(t)
                if plist and len(plist) <= MAX_POSTINGS:
                    for i in plist:
                        if i not in dots:
                            dots[i] = 0.0
                continue
            if kind == "l":
                q_labels.append(t)
                q_mass += w
                if plist:
                    late.append((plist, w))
                    late_max += w
                continue
            if not plist:
                q_mass += w * log_n
                continue
            df = len(plist)
            qw = w * (log_n - (logs[df] if df < _LOG_TABLE else math.log(df + 1)))
            q_mass += qw
            if df > MAX_POSTINGS:
                if rarest is None or (df, t) < rarest:
                    rarest = (df, t)
                late.append((plist, qw))
                late_max += qw
                continue
            get = dots.get
            for i, tw in plist.items():
                share = tw * inv_size[i]
                dots[i] = get(i, 0.0) + (qw * share if share < 1.0 else qw)
        if not dots and rarest is not None and rarest[0] <= MAX_FALLBACK_POSTINGS:
            # nothing rare in common with any theme: let the least common term nominate (it
            # still scores as a late term), unless it is everywhere
            dots = dict.fromkeys(postings[rarest[1]], 0.0)
        if not dots or q_mass <= 0.0:
            return None
        q_inv = 1.0 / math.sqrt(q_mass)
        # Branch and bound: visit candidates by an upper bound of their similarity (all late
        # terms fully shared, entity bonus granted) and stop once no bound can beat the best.
        bonus = ENTITY_BONUS if q_entities else 0.0
        cut = -math.inf if floor is None else floor - 1e-9
        bounds: list[tuple[float, int]] = []
        for i, dot in dots.items():
            th = themes[i]
            if q_labels and th.about.isdisjoint(q_labels):
                continue
            ub = (dot + late_max) * th.inv_norm * q_inv
            if th.entities:
                ub += bonus
            if ub >= cut:
                bounds.append((-ub, i))
        if not bounds:
            return None
        bounds.sort()
        best_sim = -math.inf
        best_i = -1
        for neg_ub, i in bounds[:MAX_CANDIDATES]:
            if -neg_ub < best_sim - 1e-12:
                break
            th = themes[i]
            dot = dots[i]
            scale = inv_size[i]
            for plist, qw in late:
                tw = plist.get(i)
                if tw:
                    share = tw * scale
                    dot += qw * share if share < 1.0 else qw
            sim = dot * th.inv_norm * q_inv
            if q_entities and th.entities:
                if th.entities.isdisjoint(q_entities):
                    sim -= ENTITY_PENALTY
                else:
                    sim += ENTITY_BONUS  # labels already agree: checked before the bounds
            # ties go to the oldest theme, so results do not depend on the visiting order
            if sim > best_sim + 1e-12 or (sim >= best_sim - 1e-12 and i < best_i):
                best_sim, best_i = sim, i
        if best_i < 0 or (floor is not None and best_sim < floor):
            return None
        return best_sim, best_i

    def assign(
        self, text: str, labels: Collection[str], model: str | None = None
    ) -> ThemeMatch | None:
        """Put a reply into its theme.

        A labelled reply joins the most similar theme about one of its labels or founds a new
        one; a reply without any label only joins a clearly similar theme and otherwise gets none.
        """
        vec = self.vector(text, labels, model)
        if not any(t[0] != "l" for t in vec):
            return None
        need = (self.threshold or JOIN_THRESHOLD) if labels else UNLABELLED_THRESHOLD
        concepts = _concepts(self.vocab_dir)
        lower = text.lower()
        if concepts.continuation is not None and concepts.continuation.found_in(lower):
            need -= CONTINUATION_DISCOUNT
        if concepts.new_report is not None and concepts.new_report.found_in(lower):
            need += NEW_REPORT_PENALTY
        best = self.best_match(vec, need)
        if best is not None and best[0] >= need:
            th = self._themes[best[1]]
            self._merge(best[1], vec)
            return ThemeMatch(th.key, th.label, is_new=False)
        if not labels:
            return None
        key, label = self._name(vec)
        self._add_theme(key, label, dict(vec), 1)
        return ThemeMatch(key, label, is_new=True)

    # -- state ---------------------------------------------------------------------------------

    def _merge(self, i: int, vec: dict[str, float]) -> None:
        """Add one reply's terms to theme ``i``, touching only those terms' postings."""
        th = self._themes[i]
        terms = th.terms
        postings = self._postings
        for t, w in vec.items():
            old = terms.get(t)
            if old is None:
                self._adopt(i, th, t, w)
            else:
                terms[t] = postings[t][i] = old + w
            if t[0] not in "eiv":
                th.content += w
        th.size += 1
        self._inv_size[i] = 1.0 / th.size
        if len(terms) > MAX_PROFILE_TERMS + PROFILE_SLACK:
            self._trim(i, th)
        th.refresh()

    def _trim(self, i: int, th: _Theme) -> None:
        """Cut a grown profile back to its heaviest :data:`MAX_PROFILE_TERMS` terms."""
        keep = dict(sorted(th.terms.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_PROFILE_TERMS])
        for t in th.terms.keys() - keep.keys():
            if t[0] not in "eiv":
                th.content -= th.terms[t]
            plist = self._postings.get(t)
            if plist is not None:
                plist.pop(i, None)
                if not plist:
                    del self._postings[t]
        th.terms = keep
        th.entity_terms = [t for t in th.entity_terms if t in keep]
        th.label_terms = [t for t in th.label_terms if t in keep]

    def _adopt(self, i: int, th: _Theme, t: str, w: float) -> None:
        """Give theme ``i`` a term it did not have: its weight, posting and kind lists."""
        self._note_entity(t)
        th.terms[t] = w
        if t[0] in "eiv":
            th.entity_terms.append(t)
        elif t[0] == "l":
            th.label_terms.append(t)
        plist = self._postings.get(t)
        if plist is None:
            self._postings[t] = {i: w}
        else:
            plist[i] = w

    def _add_theme(self, key: str, label: str, terms: dict[str, float], size: int) -> None:
        i = len(self._themes)
        th = _Theme(key, label, {}, max(size, 1))
        for t, w in terms.items():
            self._adopt(i, th, t, w)
            if t[0] not in "eiv":
                th.content += w
        th.refresh()
        self._themes.append(th)
        self._inv_size.append(1.0 / th.size)
        self._keys.add(key)

    def _name(self, vec: dict[str, float]) -> tuple[str, str]:
        """Key and short label from the founding reply: its entity and main concept."""
        concepts = _concepts(self.vocab_dir)
        order = {t: n for n, t in enumerate(vec)}  # text order: the subject usually comes first

        def top(prefix: str, ok: Callable[[str], bool] = lambda _: True) -> str | None:
            found = [t for t in vec if t.startswith(prefix) and ok(t[2:])]
            if not found:
                return None
            return min(found, key=lambda t: (-round(vec[t] * self._idf(t), 6), order[t]))[2:]

        concept = top("c:")
        entity = top("e:", lambda name: _named_thing(name, concepts))
        words: list[str] = []
        if entity:
            words.append(entity)
        if concept:
            words.append(concepts.labels.get(concept, concept.replace("_", " ")))
        if not words:
            ident = top("i:")
            labels = sorted(t[2:] for t in vec if t.startswith("l:"))
            if ident:
                words.append(ident)
            elif labels:
                words.append(display_name(labels[0]).split(" (")[0])
            else:
                words.append("Other")
        label = " ".join(words[:2])
        if len(words) > 1 and words[1][:2].istitle():
            label = f"{words[0]} {words[1][0].lower()}{words[1][1:]}"
        label = label[:1].upper() + label[1:]
        slug = _SLUG.sub("-", label.lower()).strip("-")[:48].strip("-") or "theme"
        key = slug
        if key in self._keys:
            n = self._next_suffix.get(slug, 2)
            while f"{slug}-{n}" in self._keys:
                n += 1
            key = f"{slug}-{n}"
            self._next_suffix[slug] = n + 1
        return key, label


def _named_thing(name: str, concepts: Concepts) -> bool:
    """A hyphenated name names a thing ("fraud-model") unless one of its parts is a stopword or
    a concept word: "gpu-hours", "eng-weeks", "per-position", "swap-traffic" are ordinary
    compounds, and treating them as entities would both split themes (a penalty for naming a
    different entity) and join unrelated replies."""
    return not any(
        len(p) < 2 or p in concepts.stopwords or concepts.concept_of(p) is not None
        for p in name.split("-")
    )


_LOG_TABLE = 4096
_LOG_1P = [math.log(n + 1) for n in range(_LOG_TABLE)]
"""``log(df + 1)`` for the document frequencies IDF needs most, looked up instead of computed."""
_HYPHENATED, _ALPHA, _OTHER = 0, 1, 2
_TokenInfo = tuple[str, tuple[tuple[str, float], ...], str | None, int]
_TERM_CACHE_LIMIT = 100_000
_TERM_CACHE: dict[Path, dict[bytes, _TokenInfo]] = {}
"""Per vocabulary directory: token -> what it contributes, so each word is analysed once."""


def _token_info(tok: str, concepts: Concepts) -> _TokenInfo:
    """A token's word, its terms, the entity name it may be (hyphenated tokens) and its kind.

    Only what does not depend on a team's themes is here; matching names against the entities
    a team already knows happens per reply.
    """
    if not tok[0].isalpha():  # "3rd", "-foo", "99": the word part, if any, starts at a letter
        m = _TOKEN.search(tok)
        tok = m.group() if m else ""
        if not tok:
            return tok, (), None, _OTHER
    if _TICKET.fullmatch(tok):
        return tok, (), None, _OTHER  # "SRCH-877"
    if "-" not in tok:
        hit = _word_term(tok, concepts)
        return tok, ((hit,) if hit else ()), None, _ALPHA if tok.isalpha() else _OTHER
    parts = tok.split("-")
    name = None
    if (
        len(tok) >= 5
        and all(p.isalpha() for p in parts[:-1])
        and len(parts[0]) > 1
        and parts[0] not in _WORD_PREFIXES
        and parts[-1] not in _WORD_PARTICLES
    ):
        stripped = _VERSION_SUFFIX.sub("", tok)
        if "-" in stripped and _named_thing(stripped, concepts):
            name = stripped
    best: dict[str, float] = {}
    for p in parts:
        hit = _word_term(p, concepts)
        if hit and best.get(hit[0], 0.0) < hit[1]:
            best[hit[0]] = hit[1]
    return tok, tuple(best.items()), name, _HYPHENATED


def _word_term(tok: str, concepts: Concepts) -> tuple[str, float] | None:
    c = concepts.concept_of(tok)
    if c is None and len(tok) > 3 and tok[-1] == "s":
        c = concepts.concept_of(tok[:-1])
    if c is not None:
        return "c:" + c, CONCEPT_WEIGHT * concepts.weights.get(c, 1.0)
    if _VERSION_TAG.fullmatch(tok):
        return "v:" + tok, VERSION_WEIGHT
    if len(tok) < 3 or tok in concepts.stopwords or any(ch.isdigit() for ch in tok):
        return None
    return "w:" + stem(tok), WORD_WEIGHT
