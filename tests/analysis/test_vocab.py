"""Vocabulary validation names the file and the key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.analysis.classifier import Classifier
from bot.analysis.vocab_loader import (
    DEFAULT_VOCAB_DIR,
    DIGIT_TRIGGER,
    Phrases,
    VocabError,
    derive_triggers,
    literal_forms,
    literal_gate,
    literal_heads,
    trigger_words,
)


@pytest.fixture()
def vocab(tmp_path: Path) -> Path:
    dst = tmp_path / "vocab"
    shutil.copytree(DEFAULT_VOCAB_DIR, dst)
    return dst


def test_bundled_vocabulary_loads() -> None:
    Classifier()


def test_bad_regex_names_file_and_key(vocab: Path) -> None:
    f = vocab / "motion.toml"
    f.write_text(f.read_text() + "\n[[patterns]]\nmatch = 'unclosed (group'\nweight = 0.5\n")
    with pytest.raises(VocabError) as exc:
        Classifier(vocab)
    msg = str(exc.value)
    assert "motion.toml" in msg and "patterns[" in msg and "invalid regex" in msg


def test_bad_weight_type(vocab: Path) -> None:
    f = vocab / "waiting.toml"
    f.write_text(f.read_text() + "\n[[patterns]]\nmatch = 'stalled'\nweight = 'high'\n")
    with pytest.raises(VocabError, match=r"waiting\.toml.*weight"):
        Classifier(vocab)


def test_label_must_match_file(vocab: Path) -> None:
    f = vocab / "defects.toml"
    f.write_text(f.read_text().replace('label = "defects"', 'label = "bugs"'))
    with pytest.raises(VocabError, match=r"defects\.toml.*'label'"):
        Classifier(vocab)


def test_missing_label_file(vocab: Path) -> None:
    (vocab / "inventory.toml").unlink()
    with pytest.raises(VocabError, match=r"inventory\.toml.*not found"):
        Classifier(vocab)


def test_bad_prior(vocab: Path) -> None:
    f = vocab / "motion.toml"
    f.write_text(f.read_text().replace('"wastes.other" = 0.2', '"wastes.other" = 3'))
    with pytest.raises(VocabError, match=r"motion\.toml.*priors"):
        Classifier(vocab)


def test_bad_concept_term(vocab: Path) -> None:
    f = vocab / "concepts.toml"
    f.write_text(f.read_text() + '\n[concepts.bad]\nlabel = "Bad"\nterms = ["Two Words"]\n')
    with pytest.raises(VocabError, match=r"concepts\.toml.*concepts\.bad\.terms"):
        Classifier(vocab)


def test_bad_continuation_cue(vocab: Path) -> None:
    f = vocab / "concepts.toml"
    f.write_text(f.read_text().replace("continuation = [", 'continuation = ["Still!", ', 1))
    with pytest.raises(VocabError, match=r"concepts\.toml.*'continuation'"):
        Classifier(vocab)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("is it still red?", True),
        ("still", True),
        ("heads up: the export leaks emails", True),
        ("a moment of stillness", False),  # inside a longer word
        ("the heads upgrade", False),
        ("distill the ranker", False),
    ],
)
def test_phrases_are_found_as_whole_words(text: str, found: bool) -> None:
    assert Phrases(["still", "heads up"]).found_in(text) is found


def test_bad_new_report_cue(vocab: Path) -> None:
    f = vocab / "concepts.toml"
    f.write_text(f.read_text().replace("new_report = [", "new_report = [3, ", 1))
    with pytest.raises(VocabError, match=r"concepts\.toml.*'new_report'"):
        Classifier(vocab)


def test_user_extension_takes_effect(vocab: Path) -> None:
    text = "the frobnicator queue ate my afternoon"
    assert "motion" not in Classifier(vocab).classify(text).wastes
    f = vocab / "motion.toml"
    f.write_text(f.read_text() + "\n[[patterns]]\nmatch = 'frobnicator'\nweight = 1.0\n")
    assert "motion" in Classifier(vocab).classify(text).wastes


def test_triggers() -> None:
    assert derive_triggers("blocked on") == ("blocked",)
    assert derive_triggers("(nobody|no one) uses") == ("nobody", "no")
    # an optional leading group: a match starts either with it or where the rest starts
    assert derive_triggers("(still )?open") == ("still", "open")
    assert derive_triggers("[a-z]+ waits") is None
    assert derive_triggers(r"\d+ days") == (DIGIT_TRIGGER,)


def test_whole_word_triggers() -> None:
    # "blocked on" can only start at the token "blocked"; "blocks?" at any word starting "block"
    assert trigger_words("blocked on") == (("blocked", True),)
    assert trigger_words("blocks?") == (("block", False),)
    # optional characters are spelt out, so "re-?ran" needs "re" (whole) or a word like "reran"
    assert trigger_words("re-?ran") == (("re", True), ("reran", False))


def test_literal_gate_for_punctuation_patterns() -> None:
    assert literal_gate(":party:") == (":party:",)
    assert literal_gate("(->|=>) [a-z]+") == ("-> ", "=> ")
    # the most telling piece every match contains, not only a leading one
    assert literal_gate(r"\d+ hops") == (" hops",)
    assert literal_gate("[a-z]+") is None


def test_literal_forms_in_the_order_the_regex_tries_them() -> None:
    assert literal_forms("blocked (on|by)") == (("blocked on", None), ("blocked by", None))
    # greedy optional pieces come before their absence; \b at the end says what must follow
    assert literal_forms(r"wait(ed|ing)?\b") == (
        ("waited", False),
        ("waiting", False),
        ("wait", False),
    )
    assert literal_forms(r"re-?ran") == (("re-ran", None), ("reran", None))
    # a \b inside a form is settled when spelling it out: "x y" has one, "xy" has none
    assert literal_forms(r"x\b ?y") == (("x y", None),)


def test_patterns_that_are_not_a_few_literals() -> None:
    assert literal_forms(r"\d+ days") is None
    assert literal_forms("can.t") is None  # any character
    assert literal_forms("stuck (?!in)") is None
    assert literal_forms("(?i)blocked") is None


def test_literal_heads_start_every_match() -> None:
    assert literal_heads(r"\d+ days") == tuple("0123456789")
    assert literal_heads("can.t [a-z ]+ yet") == ("can",)
    heads = literal_heads(r"(upstream|schema)s? [a-z ]{0,25}changed")
    assert heads is not None and "upstream " in heads and "schemas " in heads
    assert literal_heads("[a-c]+ waits") == ("a", "b", "c")
    assert literal_heads(".* waits") is None


def test_triggered_matching_agrees_with_plain_regex(vocab: Path) -> None:
    """The token-indexed, fused matcher finds exactly what a plain regex search would."""
    f = vocab / "motion.toml"
    f.write_text(
        f.read_text()
        + "\n[[patterns]]\nmatch = '(about |~)?(\\d+|a few) (tabs|windows) open'\nweight = 1.0\n"
        + "\n[[patterns]]\nmatch = '(→|->) ?another tool'\nweight = 1.0\n"
    )
    clf = Classifier(vocab)
    assert "motion" in clf.classify("had ~12 tabs open all day").wastes
    assert "motion" in clf.classify("had a few tabs open, then a few windows open").wastes
    assert "motion" in clf.classify("notebook->another tool->sheet").wastes
    assert "motion" not in clf.classify("tabsopen 12tabs open").wastes


@pytest.fixture()
def frob_vocab(vocab: Path) -> Path:
    """The bundled vocabulary plus a few invented "motion" phrases of each kind."""
    f = vocab / "motion.toml"
    text = f.read_text().replace(
        "ignore = ['motion (sensor|detection|graphics)', 'slow[- ]motion']",
        "ignore = ['motion (sensor|detection|graphics)', 'slow[- ]motion', 'frobnicate the docs']",
    )
    f.write_text(
        text
        + "\n[[patterns]]\nmatch = 'frobnicat(e|ed|ing) the (queue|docs)\\b'\nweight = 1.0\n"
        + "\n[[patterns]]\nmatch = 'quuxify'\nweight = 1.0\n"
        + "\n[[patterns]]\nmatch = '\\d+ (zorps|zorp loops)'\nweight = 1.0\n"
    )
    return vocab


def _fired(clf: Classifier, text: str) -> list[str]:
    return [pattern for label, pattern, _w in clf.explain(text) if label == "motion"]


def _fires(clf: Classifier, text: str, word: str) -> bool:
    """Whether a motion pattern containing ``word`` fired on ``text``."""
    return any(word in p for p in _fired(clf, text))


def test_literal_phrases_are_found(frob_vocab: Path) -> None:
    clf = Classifier(frob_vocab)
    assert _fires(clf, "we frobnicated the queue twice", "frobnicat")
    # a pattern may match the start of a longer word ...
    assert _fires(clf, "quuxifying the backlog again", "quuxify")
    # ... but only at the start of a word, and a \b at its end needs the word to end there
    assert not _fires(clf, "we refrobnicated the queue", "frobnicat")
    assert not _fires(clf, "frobnicated the queues", "frobnicat")


def test_literal_phrases_can_be_negated_or_ignored(frob_vocab: Path) -> None:
    clf = Classifier(frob_vocab)
    negated = _fired(clf, "no need to frobnicate the queue this week")
    assert negated and all(p.endswith("(negated)") for p in negated)
    assert not _fires(clf, "time to frobnicate the docs", "frobnicat")


def test_regex_branches_behind_weak_prefixes(frob_vocab: Path) -> None:
    """A branch starting with a digit is only tried where its gate string is in the reply."""
    clf = Classifier(frob_vocab)
    assert _fires(clf, "lost 12 zorps to retries", "zorp")
    assert _fires(clf, "3 zorp loops before lunch", "zorp")
    assert not _fires(clf, "12 zorp, 3 loops", "zorp")
    assert not _fires(clf, "v12 zorps", "zorp")
