"""Load and validate the editable vocabulary in ``bot/analysis/vocab/*.toml``.

The vocabulary is data, not code, so a team can teach the analyser its own jargon without a
release. Because users edit these files by hand, every problem is reported as a
:class:`VocabError` naming the file and the key, instead of a bare ``KeyError`` or a regex
traceback deep inside the classifier.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.analysis.labels import CONCERNS, WASTES

DEFAULT_VOCAB_DIR = Path(__file__).with_name("vocab")

SHARED_FILE = "_shared.toml"
DIGIT_TRIGGER = "#digit"
TROUBLE = "#trouble"
GOOD_NEWS = "#good"
"""Pseudo-trigger of patterns that start with a digit (``\\d``): run only if the reply has one."""
CONCEPTS_FILE = "concepts.toml"


class VocabError(ValueError):
    """A vocabulary file is missing, unreadable or has a wrong key; the message names both."""


@dataclass(frozen=True, slots=True)
class Branch:
    """One top-level alternative of a pattern, with the word prefix that must be present."""

    regex: re.Pattern[str]
    triggers: tuple[str, ...] | None
    gate: tuple[str, ...] | None = None
    whole: frozenset[str] = frozenset()
    """Triggers that must be a whole token (``blocked on`` needs "blocked", not "blockedx")."""
    """For untriggered branches: literal strings one of which must be in the text (or None)."""


@dataclass(frozen=True, slots=True)
class Pattern:
    """One phrase of a label's vocabulary, already compiled.

    ``branches`` splits a top-level ``a|b|c`` into separately triggered alternatives, so a long
    alternation only costs a regex search for the alternatives whose first word is present.
    """

    label: str
    source: str
    regex: re.Pattern[str]
    weight: float
    needs_trouble: bool
    negatable: bool
    trigger: str | None
    branches: tuple[Branch, ...] = ()


@dataclass(frozen=True, slots=True)
class LabelVocab:
    """Everything one ``<label>.toml`` says about its label."""

    label: str
    patterns: tuple[Pattern, ...]
    ignore: re.Pattern[str] | None
    priors: Mapping[str, float]
    ignore_sources: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SharedVocab:
    """Label-independent cues from ``_shared.toml``: negation, quiet replies, trouble, good news."""

    negation_words: frozenset[str]
    negation_phrases: tuple[str, ...]
    quiet: re.Pattern[str]
    trouble: re.Pattern[str]
    good_news: re.Pattern[str]
    ignore: re.Pattern[str]
    cue_patterns: tuple[Pattern, ...] = ()
    """``trouble`` and ``good_news`` as triggered patterns labelled ``#trouble``/``#good``."""


@dataclass(frozen=True, slots=True)
class Concepts:
    """Synonym table for themes: word (or word prefix ending in ``*``) -> concept id."""

    exact: Mapping[str, str]
    prefixes: Mapping[str, str]
    labels: Mapping[str, str]
    stopwords: frozenset[str]
    weights: Mapping[str, float] = field(default_factory=dict)
    prefix_lengths: tuple[int, ...] = field(default=())

    def concept_of(self, token: str) -> str | None:
        """Map one lower-case token to its concept id, or ``None``."""
        hit = self.exact.get(token)
        if hit is not None:
            return hit
        for n in self.prefix_lengths:
            if len(token) >= n:
                hit = self.prefixes.get(token[:n])
                if hit is not None:
                    return hit
        return None


_LEADING_WORD = re.compile(r"(?:\\b)?([a-z0-9]+)")


def derive_trigger(pattern: str) -> str | None:
    """The literal word prefix every match of ``pattern`` must start with, if any.

    The classifier only tries a pattern at words that start with its trigger, which is what
    keeps the per-reply cost flat as the vocabulary grows. Patterns that start with a group, a
    class or contain a top-level alternation get no single trigger (see :func:`derive_triggers`).
    """
    got = _word_trigger(pattern)
    return got[0] if got else None


_WHOLE_WORD_ESCAPES = ("\\b", "\\W", "\\s")


def _word_trigger(pattern: str) -> tuple[str, bool] | None:
    """``(word, whole)``: the leading literal word, and whether it must be a whole token."""
    if _top_level_alternation(pattern):
        return None
    m = _LEADING_WORD.match(pattern)
    if not m:
        return None
    word = m.group(1)
    rest = pattern[m.end() :]
    nxt = rest[:1]
    if nxt and nxt in "?*{":
        word = word[:-1]
        return (word, False) if word else None
    whole = False
    if rest.startswith(_WHOLE_WORD_ESCAPES):
        whole = True
    elif nxt and not nxt.isalnum() and nxt not in ".^$*+?{}[]|()\\":
        # "blocked on", "sign-off": the word ends here unless the separator is optional
        whole = rest[1:2] not in ("?", "*", "{")
    return word, whole


def _structure(pattern: str, start: int = 0) -> Iterator[tuple[int, str, int]]:
    """``(index, char, group depth after it)`` for every character that is regex syntax level:
    outside escapes and character classes. One scanner answers the questions below."""
    depth = 0
    escaped = False
    in_class = False
    for i in range(start, len(pattern)):
        ch = pattern[i]
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        else:
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            yield i, ch, depth


def _group_end(pattern: str, start: int) -> int:
    """Index of the ``)`` closing the group opened at ``start``, or -1."""
    return next((i for i, ch, depth in _structure(pattern, start) if ch == ")" and depth == 0), -1)


def derive_triggers(pattern: str) -> tuple[str, ...] | None:
    """All literal word prefixes one of which every match must start with, or ``None``.

    Handles groups of alternatives and optional leading groups, so ``(nobody|no one) uses`` is
    triggered by "nobody" or "no" and ``(still )?open`` by "still" or "open"; a leading ``\\d``
    gives the digit pseudo-trigger. Anything it cannot reason about (classes, ``\\w``) gives
    ``None``, meaning "search the whole reply", which is slower but never wrong.
    """
    pairs = trigger_words(pattern)
    return None if pairs is None else tuple(dict.fromkeys(w for w, _ in pairs))


def trigger_words(pattern: str, depth: int = 0) -> tuple[tuple[str, bool], ...] | None:
    """Like :func:`derive_triggers`, with a flag per word: ``True`` when a match can only start
    at a token equal to the word ("blocked on" needs the token "blocked", "block" would do for
    "blocks?"), ``False`` when the token need only start with it."""
    if depth > 4:
        return None
    alts = split_top_level(pattern)
    if len(alts) > 1:
        out: list[tuple[str, bool]] = []
        for alt in alts:
            got = trigger_words(alt, depth + 1)
            if got is None:
                return None
            out.extend(got)
        return tuple(dict.fromkeys(out))
    if pattern.startswith("\\b"):
        return trigger_words(pattern[2:], depth + 1)
    if pattern.startswith("("):
        end = _group_end(pattern, 0)
        if end < 0:
            return None
        inner = pattern[1:end]
        if inner.startswith("?:"):
            inner = inner[2:]
        elif inner.startswith("?"):
            return None
        quant = pattern[end + 1 : end + 2]
        # a word ending the group gets whole=False from _word_trigger (what follows the group
        # is not known there), which is always safe
        first = trigger_words(inner, depth + 1)
        if quant in ("?", "*"):
            # an optional leading group: a match either starts with it or where the rest starts
            # (the regex is tried at that word too and simply skips the group)
            rest = pattern[end + 2 :].lstrip("?")
            more = trigger_words(rest, depth + 1) if rest else None
            if more is None:
                return None
            return tuple(dict.fromkeys((first or ()) + more))
        if quant == "{":
            return None
        return first
    if pattern.startswith("\\d"):
        return ((DIGIT_TRIGGER, False),)
    expanded = _expand_optional(pattern)
    if expanded is not None:
        out = []
        for variant in expanded:
            got = trigger_words(variant, depth + 1)
            if got is None:
                return None
            out.extend(got)
        # a prefix trigger makes a whole-word one for the same word redundant
        prefixes = {w for w, whole in out if not whole}
        return tuple(dict.fromkeys((w, whole and w not in prefixes) for w, whole in out))
    single = _word_trigger(pattern)
    return (single,) if single else None


_MAX_VARIANTS = 16


def _expand_optional(pattern: str) -> list[str] | None:
    """Spell out an optional piece right after the leading word, for sharper triggers.

    ``re-?ran`` -> ``re-ran``, ``reran``; ``wait(ed|ing|s)? on`` -> ``waited on`` ... ``wait on``;
    ``wait(ed|ing) for`` -> ``waited for``, ``waiting for``. ``None`` when there is nothing to
    expand (or too much).
    """
    m = _LEADING_WORD.match(pattern)
    if not m:
        return None
    word, rest = pattern[: m.end()], pattern[m.end() :]
    if not rest:
        return None
    if rest[0] == "(":
        end = _group_end(rest, 0)
        if end < 0:
            return None
        inner = rest[1:end]
        if inner.startswith("?:"):
            inner = inner[2:]
        elif inner.startswith("?"):
            return None
        alts = split_top_level(inner)
        if any(not re.fullmatch(r"[a-z0-9 '-]*", a) for a in alts):
            return None
        quant = rest[end + 1 : end + 2]
        tail = rest[end + 2 :] if quant == "?" else rest[end + 1 :]
        if quant in ("*", "+", "{"):
            return None
        variants = [word + a + tail for a in alts]
        if quant == "?":
            variants.append(word + tail)
    elif rest[1:2] == "?" and rest[0] not in ".^$*+?{}[]|()\\" and rest[0] != "\\":
        variants = [word + rest[0] + rest[2:], word + rest[2:]]
    else:
        return None
    return variants if len(variants) <= _MAX_VARIANTS else None


def _whole_words(pattern: str) -> frozenset[str]:
    pairs = trigger_words(pattern) or ()
    prefix = {w for w, whole in pairs if not whole}
    return frozenset(w for w, whole in pairs if whole and w not in prefix)


def branches_of(src: str, where: str) -> tuple[Branch, ...]:
    """Compile each top-level alternative of a user regex with its triggers."""
    return tuple(
        Branch(
            regex=_compile(b, where, anchored=False),
            triggers=derive_triggers(b),
            gate=literal_gate(b),
            whole=_whole_words(b),
        )
        for b in split_top_level(src)
    )


_LITERAL_CHARS = re.compile(r"(?:\\[^a-zA-Z0-9]|[^\\.^$*+?{}\[\]|()])+")


def literal_gate(pattern: str) -> tuple[str, ...] | None:
    """Literal strings one of which must occur in the text for ``pattern`` to match, or ``None``.

    Used for patterns that do not start with a word (":tada:", "-> ... ->"), so they are only
    searched for when, say, a colon or an arrow is present.
    """
    alts = split_top_level(pattern)
    if len(alts) > 1:
        out: list[str] = []
        for alt in alts:
            got = literal_gate(alt)
            if got is None:
                return None
            out.extend(got)
        return tuple(dict.fromkeys(out))
    if pattern.startswith("("):
        end = _group_end(pattern, 0)
        if end < 0 or pattern[end + 1 : end + 2] in ("?", "*", "{"):
            return None
        inner = pattern[1:end]
        if inner.startswith("?:"):
            inner = inner[2:]
        elif inner.startswith("?"):
            return None
        return literal_gate(inner)
    m = _LITERAL_CHARS.match(pattern)
    if not m:
        return None
    lit = m.group(0)
    if pattern[m.end() : m.end() + 1] in ("?", "*", "{"):
        lit = lit[:-1] if not lit.endswith("\\") else ""
    lit = re.sub(r"\\(.)", r"\1", lit)
    return (lit,) if lit else None


def _top_level_alternation(pattern: str) -> bool:
    """Split ``pattern`` on ``|`` outside groups and character classes."""
    return any(ch == "|" and depth == 0 for _, ch, depth in _structure(pattern))


def split_top_level(pattern: str) -> list[str]:
    """Split ``pattern`` on ``|`` outside groups and character classes."""
    cuts = [i for i, ch, depth in _structure(pattern) if ch == "|" and depth == 0]
    bounds = zip([-1, *cuts], [*cuts, len(pattern)], strict=True)
    return [pattern[a + 1 : b] for a, b in bounds]


def _compile(src: str, where: str, *, anchored: bool = True) -> re.Pattern[str]:
    """Compile a user regex with an implicit word start, reporting errors with their location."""
    if not isinstance(src, str) or not src.strip():
        raise VocabError(f"{where}: expected a non-empty regex string, got {src!r}")
    unescaped = re.sub(r"\\.", "", src)
    if unescaped != unescaped.lower():
        raise VocabError(
            f"{where}: patterns are matched against lower-cased text; write {src!r} in lower case"
        )
    try:
        return re.compile((r"(?<![a-z0-9])(?:" if anchored else "(?:") + src + ")")
    except re.error as exc:
        raise VocabError(f"{where}: invalid regex {src!r}: {exc}") from None


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise VocabError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise VocabError(f"{path}: not valid TOML: {exc}") from None


def _regex_list(data: Mapping[str, Any], key: str, path: Path) -> tuple[re.Pattern[str], ...]:
    raw = data.get(key, [])
    if not isinstance(raw, list):
        raise VocabError(f"{path}: key '{key}' must be a list of regex strings")
    return tuple(_compile(s, f"{path}: {key}[{i}]") for i, s in enumerate(raw))


_ALLOWED_LABEL_KEYS = {"label", "description", "ignore", "priors", "patterns"}
_ALLOWED_PATTERN_KEYS = {"match", "weight", "needs_trouble", "negatable", "note"}


def load_label(path: Path) -> LabelVocab:
    """Load one ``<label>.toml``; the file stem must be a known label id."""
    data = _read(path)
    label = data.get("label")
    if label != path.stem:
        raise VocabError(
            f"{path}: key 'label' must equal the file name {path.stem!r}, got {label!r}"
        )
    if label not in WASTES and label not in CONCERNS:
        raise VocabError(f"{path}: key 'label': unknown label {label!r}")
    unknown = set(data) - _ALLOWED_LABEL_KEYS
    if unknown:
        raise VocabError(f"{path}: unknown key(s) {', '.join(sorted(unknown))}")
    priors_raw = data.get("priors", {})
    if not isinstance(priors_raw, dict):
        raise VocabError(f"{path}: key 'priors' must be a table of question key = number")
    priors: dict[str, float] = {}
    for q, w in priors_raw.items():
        if isinstance(w, bool) or not isinstance(w, int | float):
            raise VocabError(f"{path}: priors.{q!r} must be a number, got {w!r}")
        if not 0.0 <= float(w) <= 1.0:
            raise VocabError(f"{path}: priors.{q!r} must be between 0 and 1, got {w!r}")
        priors[q] = float(w)
    raw_patterns = data.get("patterns", [])
    if not isinstance(raw_patterns, list) or not raw_patterns:
        raise VocabError(f"{path}: key 'patterns' must be a non-empty array of [[patterns]] tables")
    patterns: list[Pattern] = []
    for i, entry in enumerate(raw_patterns):
        where = f"{path}: patterns[{i}]"
        if not isinstance(entry, dict):
            raise VocabError(f"{where}: expected a table")
        extra = set(entry) - _ALLOWED_PATTERN_KEYS
        if extra:
            raise VocabError(f"{where}: unknown key(s) {', '.join(sorted(extra))}")
        if "match" not in entry:
            raise VocabError(f"{where}: missing key 'match'")
        src = entry["match"]
        weight = entry.get("weight", 0.5)
        if isinstance(weight, bool) or not isinstance(weight, int | float):
            raise VocabError(f"{where}.weight: must be a number, got {weight!r}")
        if not -2.0 <= float(weight) <= 2.0:
            raise VocabError(f"{where}.weight: must be between -2 and 2, got {weight!r}")
        flags = {}
        for key in ("needs_trouble", "negatable"):
            val = entry.get(key, key == "negatable")
            if not isinstance(val, bool):
                raise VocabError(f"{where}.{key}: must be true or false, got {val!r}")
            flags[key] = val
        regex = _compile(src, f"{where}.match")
        branches = tuple(
            # unanchored so the regex engine can use its fast literal-prefix scan; the classifier
            # checks the word start itself
            Branch(
                regex=_compile(b, f"{where}.match", anchored=False),
                triggers=derive_triggers(b),
                gate=literal_gate(b),
                whole=_whole_words(b),
            )
            for b in split_top_level(src)
        )
        patterns.append(
            Pattern(
                label=label,
                source=src,
                regex=regex,
                weight=float(weight),
                needs_trouble=flags["needs_trouble"],
                negatable=flags["negatable"],
                trigger=derive_trigger(src),
                branches=branches,
            )
        )
    return LabelVocab(
        label=label,
        patterns=tuple(patterns),
        ignore=_alternation(_regex_list(data, "ignore", path)) if data.get("ignore") else None,
        priors=priors,
        ignore_sources=tuple(data.get("ignore", ())),
    )


def _alternation(pats: tuple[re.Pattern[str], ...], anchor: str = "") -> re.Pattern[str]:
    if not pats:
        return re.compile(r"(?!x)x")
    body = "|".join(p.pattern for p in pats)
    return re.compile(anchor + "(?:" + body + ")")


def load_shared(path: Path) -> SharedVocab:
    """Load ``_shared.toml`` (negation cues, quiet replies, trouble and good-news cues)."""
    data = _read(path)
    for key in ("negation", "quiet", "trouble", "good_news"):
        if key not in data:
            raise VocabError(f"{path}: missing key {key!r}")
    negation = data["negation"]
    if not isinstance(negation, list) or not all(
        isinstance(w, str) and re.fullmatch(r"[a-z][a-z' -]*", w) for w in negation
    ):
        raise VocabError(f"{path}: key 'negation' must be a list of lower-case words or phrases")
    quiet = _regex_list(data, "quiet", path)
    cues: list[Pattern] = []
    for key, label in (("trouble", TROUBLE), ("good_news", GOOD_NEWS)):
        for i, src in enumerate(data[key]):
            where = f"{path}: {key}[{i}]"
            cues.append(
                Pattern(
                    label=label,
                    source=src,
                    regex=_compile(src, where),
                    weight=0.0,
                    needs_trouble=False,
                    negatable=key == "trouble",
                    trigger=derive_trigger(src),
                    branches=tuple(
                        Branch(
                            _compile(b, where, anchored=False),
                            derive_triggers(b),
                            literal_gate(b),
                            _whole_words(b),
                        )
                        for b in split_top_level(src)
                    ),
                )
            )
    return SharedVocab(
        cue_patterns=tuple(cues),
        negation_words=frozenset(w for w in negation if " " not in w),
        negation_phrases=tuple(w for w in negation if " " in w),
        quiet=_alternation(quiet, anchor=r"^\W*"),
        trouble=_alternation(_regex_list(data, "trouble", path)),
        good_news=_alternation(_regex_list(data, "good_news", path)),
        ignore=_alternation(_regex_list(data, "ignore", path)),
    )


def load_concepts(path: Path) -> Concepts:
    """Load ``concepts.toml``: the synonym table used to group replies into themes."""
    data = _read(path)
    stop = data.get("stopwords", [])
    if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop):
        raise VocabError(f"{path}: key 'stopwords' must be a list of strings")
    concepts = data.get("concepts")
    if not isinstance(concepts, dict) or not concepts:
        raise VocabError(f"{path}: missing table [concepts.<id>]")
    exact: dict[str, str] = {}
    prefixes: dict[str, str] = {}
    labels: dict[str, str] = {}
    weights: dict[str, float] = {}
    for cid, body in concepts.items():
        where = f"{path}: concepts.{cid}"
        if not re.fullmatch(r"[a-z0-9_]+", cid):
            raise VocabError(f"{where}: concept ids must be lower-case letters, digits, underscore")
        if not isinstance(body, dict):
            raise VocabError(f"{where}: expected a table with 'label' and 'terms'")
        label = body.get("label")
        terms = body.get("terms")
        if not isinstance(label, str) or not label:
            raise VocabError(f"{where}.label: must be a non-empty string")
        if not isinstance(terms, list) or not terms:
            raise VocabError(f"{where}.terms: must be a non-empty list of words")
        labels[cid] = label
        weight = body.get("weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 < weight <= 3:
            raise VocabError(f"{where}.weight: must be a number in (0, 3], got {weight!r}")
        weights[cid] = float(weight)
        extra = set(body) - {"label", "terms", "weight"}
        if extra:
            raise VocabError(f"{where}: unknown key(s) {', '.join(sorted(extra))}")
        for t in terms:
            if not isinstance(t, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_-]*\*?", t):
                raise VocabError(
                    f"{where}.terms: {t!r} must be one lower-case word (hyphens allowed), "
                    "optionally ending in * for a prefix"
                )
            table = prefixes if t.endswith("*") else exact
            key = t.rstrip("*")
            if key in table and table[key] != cid:
                raise VocabError(f"{where}.terms: {t!r} already belongs to concept {table[key]!r}")
            table[key] = cid
    return Concepts(
        exact=exact,
        prefixes=prefixes,
        labels=labels,
        stopwords=frozenset(stop),
        weights=weights,
        prefix_lengths=tuple(sorted({len(p) for p in prefixes}, reverse=True)),
    )


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The whole vocabulary directory, loaded once and shared by all replies."""

    labels: Mapping[str, LabelVocab]
    shared: SharedVocab
    concepts: Concepts


def load_vocabulary(vocab_dir: Path | None = None) -> Vocabulary:
    """Load every label file, ``_shared.toml`` and ``concepts.toml`` from ``vocab_dir``.

    All 15 labels must have a file: a missing one is an error rather than a silently dead label.
    """
    vdir = Path(vocab_dir) if vocab_dir is not None else DEFAULT_VOCAB_DIR
    if not vdir.is_dir():
        raise VocabError(f"{vdir}: vocabulary directory not found")
    labels: dict[str, LabelVocab] = {}
    for label in WASTES + CONCERNS:
        labels[label] = load_label(vdir / f"{label}.toml")
    for extra in sorted(vdir.glob("*.toml")):
        if extra.stem not in labels and extra.name not in (SHARED_FILE, CONCEPTS_FILE):
            raise VocabError(f"{extra}: unexpected file; label files must be named <label id>.toml")
    return Vocabulary(
        labels=labels,
        shared=load_shared(vdir / SHARED_FILE),
        concepts=load_concepts(vdir / CONCEPTS_FILE),
    )
