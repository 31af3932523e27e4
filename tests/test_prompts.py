from pathlib import Path

import pytest

from bot.prompts import QuestionSetError, load_question_sets

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"


def test_shipped_question_sets_load() -> None:
    sets = load_question_sets(PROMPTS)
    assert set(sets) == {"standup", "wastes", "model_health"}
    blockers = next(q for q in sets["standup"].questions if q.key == "standup.blockers")
    assert "waiting" in blockers.hints
    assert any(q.optional for q in sets["model_health"].questions)


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        ("[[questions]]\nkey = 'x.y'\n", "text is missing"),
        ("[[questions]]\nkey = 'Bad Key'\ntext = 'q'\n", "key must look like"),
        ("[[questions]]\nkey = 'x.y'\ntext = 'q'\nhints = ['laziness']\n", "laziness"),
        ("[[questions]]\nkey = 'x.y'\ntext = 'q'\noptinal = true\n", "optinal"),
        ("questions = [\n", "not valid TOML"),
        ("cadence = 'hourly'\n[[questions]]\nkey='x.y'\ntext='q'\n", "cadence"),
    ],
)
def test_a_broken_question_file_is_named_with_the_problem(
    tmp_path: Path, content: str, complaint: str
) -> None:
    (tmp_path / "mine.toml").write_text(content)
    with pytest.raises(QuestionSetError) as info:
        load_question_sets(tmp_path)
    assert "mine.toml" in str(info.value) and complaint in str(info.value)


def test_duplicate_keys_across_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text("[[questions]]\nkey = 'x.y'\ntext = 'q'\n")
    (tmp_path / "b.toml").write_text("[[questions]]\nkey = 'x.y'\ntext = 'other'\n")
    with pytest.raises(QuestionSetError, match=r"also used in a\.toml"):
        load_question_sets(tmp_path)
