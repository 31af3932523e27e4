"""Vocabulary validation names the file and the key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.analysis.classifier import Classifier
from bot.analysis.vocab_loader import (
    DEFAULT_VOCAB_DIR,
    DIGIT_TRIGGER,
    VocabError,
    derive_triggers,
    literal_gate,
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
    assert literal_gate("(->|=>) [a-z]+") == ("->", "=>")


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
