"""Load and validate the editable vocabulary in ``bot/analysis/vocab/*.toml``.

The vocabulary is data, not code, so a team can teach the analyser its own jargon without a
release. Because users edit these files by hand, every problem is reported as a
:class:`VocabError` naming the file and the key, instead of a bare ``KeyError`` or a regex
traceback deep inside the classifier.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from re import _constants as _sre  # the regex engine's own parser: see "Literal forms" below
from re import _parser as _sre_parser
from typing import Any

import ahocorasick

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


LiteralForm = tuple[str, bool | None]
"""A string a branch matches, and whether the character right after it must be a word character
(``True``/``False`` from a ``\\b`` or ``\\B`` at its end; ``None`` when nothing is required)."""


@dataclass(frozen=True, slots=True)
class Branch:
    """One top-level alternative of a pattern, with the word prefix that must be present."""

    regex: re.Pattern[str]
    triggers: tuple[str, ...] | None
    gate: tuple[str, ...] | None = None
    """Literal strings one of which occurs in every match (None when there are none)."""
    whole: frozenset[str] = frozenset()
    """Triggers that must be a whole token (``blocked on`` needs "blocked", not "blockedx")."""
    forms: tuple[LiteralForm, ...] | None = None
    """Every string the branch matches at a word start, in the order the engine tries them, or
    None when it matches too many (``\\d+``, ``[a-z ]{0,30}``)."""
    heads: tuple[str, ...] | None = None
    """For branches without ``forms``: literal prefixes one of which starts every match at a word
    start (None when they cannot be told)."""


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


class Phrases:
    """A list of words and phrases, found as whole words in lower-cased text.

    One Aho-Corasick pass finds every occurrence and only those are checked for word
    boundaries: a ``\\b(?:a|b|...)\\b`` regex over the same list costs several times as much,
    because it tries every alternative at every position of the reply.
    """

    __slots__ = ("_automaton", "phrases")

    def __init__(self, phrases: Sequence[str]) -> None:
        self.phrases = tuple(phrases)
        self._automaton = ahocorasick.Automaton()
        for phrase in self.phrases:
            self._automaton.add_word(phrase, len(phrase))
        self._automaton.make_automaton()

    def found_in(self, lower: str) -> bool:
        """Whether one of the phrases stands as whole words in ``lower``."""
        last = len(lower) - 1
        for end, size in self._automaton.iter(lower):
            start = end - size + 1
            if (start == 0 or not is_word(lower[start - 1])) and (
                end == last or not is_word(lower[end + 1])
            ):
                return True
        return False


@dataclass(frozen=True, slots=True)
class Concepts:
    """What ``concepts.toml`` gives themes: the synonym table (word, or word prefix ending in
    ``*``, -> concept id), stopwords, and the continuation and new-report cue phrases."""

    exact: Mapping[str, str]
    prefixes: Mapping[str, str]
    labels: Mapping[str, str]
    stopwords: frozenset[str]
    weights: Mapping[str, float] = field(default_factory=dict)
    prefix_lengths: tuple[int, ...] = field(default=())
    continuation: Phrases | None = None
    """Words and phrases saying a reply goes on with a story already told ("still", "again")."""
    new_report: Phrases | None = None
    """Words and phrases announcing a separate, new report ("heads up", "someone")."""

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
    """Compile each top-level alternative of a user regex with its triggers and literal forms."""
    return tuple(_branch(b, where) for b in split_top_level(src))


def _branch(pattern: str, where: str) -> Branch:
    # unanchored so the regex engine can use its fast literal-prefix scan; the classifier checks
    # the word start itself
    regex = _compile(pattern, where, anchored=False)
    gate, forms, heads = _literal_analysis(pattern)
    return Branch(
        regex=regex,
        triggers=derive_triggers(pattern),
        gate=gate,
        whole=_whole_words(pattern),
        forms=forms,
        heads=heads,
    )


@lru_cache(maxsize=8192)
def _literal_analysis(
    pattern: str,
) -> tuple[tuple[str, ...] | None, tuple[LiteralForm, ...] | None, tuple[str, ...] | None]:
    """Gate, forms and heads of a branch, from one parse; remembered, since every classifier
    (one per workspace with corrections) loads the same vocabulary."""
    items = _parsed(pattern)
    if items is None:
        return None, None, None
    return _gate_of(items), _forms_of(items), _heads_of(items)


# -- Literal forms ---------------------------------------------------------------------------
# Most branches stand for a few literal phrases ("blocked (on|by)", "re-?ran\b"). Spelt out,
# they can all be found in one pass over a reply instead of by running a regex at each word. The
# patterns are read with the regex engine's own parser, so a spelt-out form is exactly what the
# engine would match, in the order it would try the alternatives: the first form that fits at a
# word is the match the regex would have returned there.

TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
"""Characters of the lower-cased words vocabulary patterns start at."""
_MAX_FORMS = 128
_MAX_HEADS = 64
_MAX_GATE = 32

_Spelling = list[tuple[str, tuple[tuple[int, bool], ...]]]
"""Strings with the ``\\b`` (True) / ``\\B`` (False) assertions inside them, by offset."""


class _NotFinite(Exception):
    """The (part of the) pattern matches more strings than are worth spelling out."""


def _parsed(pattern: str) -> list[Any] | None:
    """The engine's parse of ``pattern`` as (opcode, argument) items; None if flags change it."""
    try:
        parsed = _sre_parser.parse(pattern)
    except (re.error, RecursionError, OverflowError):
        return None
    if parsed.state.flags & ~re.UNICODE:  # (?i) and the like change what a literal means
        return None
    return list(parsed)


def _spell(items: list[Any]) -> _Spelling:
    """Every string a sequence of items matches, in the engine's order of preference."""
    out: _Spelling = [("", ())]
    for op, av in items:
        parts = _spell_item(op, av)
        out = [(t + u, a + _shift(b, len(t))) for t, a in out for u, b in parts]
        if len(out) > _MAX_FORMS:
            raise _NotFinite
    return out


def _shift(asserts: tuple[tuple[int, bool], ...], n: int) -> tuple[tuple[int, bool], ...]:
    return tuple((off + n, boundary) for off, boundary in asserts)


def _spell_item(op: Any, av: Any) -> _Spelling:
    if op is _sre.LITERAL:
        return [(chr(av), ())]
    if op is _sre.IN:
        return [(ch, ()) for ch in _class_chars(av)]
    if op is _sre.SUBPATTERN and not av[1] and not av[2]:
        return _spell(list(av[3]))
    if op is _sre.BRANCH:
        return [form for alt in av[1] for form in _spell(list(alt))]
    if op is _sre.MAX_REPEAT and av[1] <= 3:
        body = _spell(list(av[2]))
        if any(not t for t, _ in body):  # empty iterations follow special engine rules
            raise _NotFinite
        return _repeat(body, av[0], av[1])
    if op is _sre.AT and av in (_sre.AT_BOUNDARY, _sre.AT_NON_BOUNDARY):
        return [("", ((0, av is _sre.AT_BOUNDARY),))]
    raise _NotFinite


def _class_chars(av: Any) -> list[str]:
    """The characters of a small class such as ``[ -]`` or ``[0-3]``."""
    chars: list[str] = []
    for op, arg in av:
        if op is _sre.LITERAL:
            chars.append(chr(arg))
        elif op is _sre.RANGE and arg[1] - arg[0] < 16:
            chars.extend(map(chr, range(arg[0], arg[1] + 1)))
        else:
            raise _NotFinite
    return list(dict.fromkeys(chars))


def _repeat(body: _Spelling, lo: int, hi: int) -> _Spelling:
    """A greedy ``{lo,hi}`` repeat: one more round is tried before stopping, as the engine does."""
    if hi == 0:
        return [("", ())]
    more = _repeat(body, max(lo - 1, 0), hi - 1)
    out = [(t + u, a + _shift(b, len(t))) for t, a in body for u, b in more]
    if len(out) > _MAX_FORMS:
        raise _NotFinite
    return out + ([("", ())] if lo == 0 else [])


def is_word(ch: str) -> bool:
    """What ``\\b`` counts as a word character (the engine's Unicode rule)."""
    return ch.isalnum() or ch == "_"


def _form(text: str, asserts: tuple[tuple[int, bool], ...]) -> LiteralForm | None:
    """Settle the assertions of one spelling; None when it can never match at a word start."""
    if not text:
        raise _NotFinite  # matches the empty string: every word would be a hit
    if text[0] not in TOKEN_CHARS:
        return None
    after: bool | None = None
    for off, boundary in asserts:
        if off == 0:
            raise _NotFinite  # depends on the character before the word
        before = is_word(text[off - 1])
        if off < len(text):
            if (before != is_word(text[off])) != boundary:
                return None
            continue
        need = not before if boundary else before
        if after is not None and after != need:
            return None
        after = need
    return text, after


def literal_forms(pattern: str) -> tuple[LiteralForm, ...] | None:
    """The strings ``pattern`` matches at a word start, in the order the engine tries them.

    ``re-?ran\\b`` gives ``("re-ran", False), ("reran", False)``; None when the pattern matches
    too many strings (``\\d+``, ``[a-z ]{0,30}``, ``.``) or uses look-arounds and the like.
    """
    items = _parsed(pattern)
    return None if items is None else _forms_of(items)


def _forms_of(items: list[Any]) -> tuple[LiteralForm, ...] | None:
    try:
        forms = [_form(t, a) for t, a in _spell(items)]
    except _NotFinite:
        return None
    return tuple(dict.fromkeys(f for f in forms if f is not None))


def literal_heads(pattern: str) -> tuple[str, ...] | None:
    """Literal prefixes one of which starts every match at a word start, or None if unknown.

    ``(upstream|schema)s? [a-z ]{0,25}changed`` gives ``upstreams `` ... ``schema ``; a leading
    ``\\d`` gives the ten digits.
    """
    items = _parsed(pattern)
    return None if items is None else _heads_of(items)


def _heads_of(items: list[Any]) -> tuple[str, ...] | None:
    heads = _heads(items, at_start=True)
    if "" in heads:
        return None
    return tuple(h for h in heads if h[0] in TOKEN_CHARS)


def _heads(items: list[Any], at_start: bool) -> list[str]:
    heads = [""]
    for i, (op, av) in enumerate(items):
        try:
            texts = list(dict.fromkeys(t for t, _ in _spell_item(op, av)))
        except _NotFinite:
            rest = items[i + 1 :]
            first = _item_heads(op, av, rest, at_start) if "" in heads else []
            later = _item_heads(op, av, rest, False) if heads != [""] else []
            return _trim([h + p for h in heads for p in (later if h else first)])
        heads = list(dict.fromkeys(h + t for h in heads for t in texts))
        if len(heads) > _MAX_HEADS:
            return _trim(heads)
    return heads


def _item_heads(op: Any, av: Any, rest: list[Any], at_start: bool) -> list[str]:
    """Prefixes of what a pattern item and the ``rest`` after it match ("" = unknown)."""
    if op is _sre.SUBPATTERN and not av[1] and not av[2]:
        return _heads(list(av[3]) + rest, at_start)
    if op is _sre.BRANCH:
        return _trim([h for alt in av[1] for h in _heads(list(alt) + rest, at_start)])
    if op is _sre.MAX_REPEAT:
        lo, hi, body = av
        got = _heads(list(body) + (rest if hi == 1 else []), at_start)
        return _trim(got + _heads(rest, at_start)) if lo == 0 else got
    if op is _sre.IN and at_start:
        return _start_chars(av) or [""]
    return [""]


def _start_chars(av: Any) -> list[str]:
    """The word characters a class can match as the first character of a word."""
    chars: list[str] = []
    for op, arg in av:
        if op is _sre.LITERAL:
            chars.append(chr(arg))
        elif op is _sre.RANGE:
            chars.extend(ch for ch in sorted(TOKEN_CHARS) if arg[0] <= ord(ch) <= arg[1])
        elif op is _sre.CATEGORY and arg is _sre.CATEGORY_DIGIT:
            chars.extend("0123456789")
        else:
            return []
    return [ch for ch in dict.fromkeys(chars) if ch in TOKEN_CHARS]


def _trim(heads: list[str]) -> list[str]:
    """Shorten heads until there are few enough: a prefix of a head is still a head."""
    heads = list(dict.fromkeys(heads))
    size = max(map(len, heads), default=0)
    while len(heads) > _MAX_HEADS:
        size -= 1
        heads = list(dict.fromkeys(h[:size] for h in heads))
    return heads


def literal_gate(pattern: str) -> tuple[str, ...] | None:
    """Literal strings one of which occurs in every match of ``pattern``, or ``None``.

    A branch is only worth trying in a reply that contains its gate: ":tada:" for ``:tada:``,
    " hops" for ``\\d+ hops``. Of the candidates, the most telling set is chosen.
    """
    items = _parsed(pattern)
    return None if items is None else _gate_of(items)


def _gate_of(items: list[Any]) -> tuple[str, ...] | None:
    found = _gates(items)
    if not found:
        return None
    best = max(found, key=lambda g: (min(map(gate_strength, g)), -len(g)))
    return tuple(s for s in best if not any(o != s and o in s for o in best))


def gate_strength(text: str) -> int:
    """How rarely a gate string occurs in replies, roughly: its length without surrounding
    spaces, punctuation counting three ("->" is as telling as " hops"; "me" or "ing" are not)."""
    return sum(1 if ch.isalnum() or ch == " " else 3 for ch in text.strip())


def _gates(items: list[Any]) -> list[list[str]]:
    """Candidate gates: runs of spelt-out items, and gates of groups every match goes through."""
    found: list[list[str]] = []
    run = [""]
    for op, av in items:
        try:
            texts = [t for t, _ in _spell_item(op, av)]
        except _NotFinite:
            texts = None
        if texts is not None:
            longer = list(dict.fromkeys(r + t for r in run for t in texts))
            if len(longer) <= _MAX_GATE:
                run = longer
                continue
        if all(run):
            found.append(run)
        run = list(dict.fromkeys(texts)) if texts and len(texts) <= _MAX_GATE else [""]
        if texts is None:
            found.extend(_item_gates(op, av))
    if all(run):
        found.append(run)
    return found


def _item_gates(op: Any, av: Any) -> list[list[str]]:
    if op is _sre.SUBPATTERN and not av[1] and not av[2]:
        alts = [list(av[3])]
    elif op is _sre.BRANCH:
        alts = [list(alt) for alt in av[1]]
    elif op is _sre.MAX_REPEAT and av[0] >= 1:
        alts = [list(av[2])]
    else:
        return []
    per_alt = [_gates(alt) for alt in alts]
    if not all(per_alt):
        return []
    # every alternative has gates: one gate of each, together, is a gate of the group
    union = list(dict.fromkeys(s for g in per_alt for s in min(g, key=len)))
    return [union] if len(union) <= _MAX_GATE else []


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
        branches = branches_of(src, f"{where}.match")
        patterns.append(
            Pattern(
                label=label,
                source=src,
                regex=regex,
                weight=float(weight),
                needs_trouble=flags["needs_trouble"],
                negatable=flags["negatable"],
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
                    branches=branches_of(src, where),
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
        continuation=_phrases(data, "continuation", path),
        new_report=_phrases(data, "new_report", path),
    )


def _phrases(data: dict[str, Any], key: str, path: Path) -> Phrases | None:
    """An optional list of lower-case words or phrases."""
    got = data.get(key, [])
    if not isinstance(got, list) or not all(
        isinstance(w, str) and re.fullmatch(r"[a-z0-9][a-z0-9' -]*", w) for w in got
    ):
        raise VocabError(f"{path}: key {key!r} must be a list of lower-case words or phrases")
    return Phrases(got) if got else None


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
