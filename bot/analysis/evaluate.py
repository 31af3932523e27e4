"""Score the analyser against a labelled corpus (``eval/dev.jsonl`` or a held-out set).

Runs the same pipeline as production over the records in order (so themes build up as they
would live) and reports per-label precision/recall/F1/support, micro and macro F1 for wastes and
concerns separately, and theme pairwise F1. Pass any subset (a week range, some teams) to get
honest tune/check splits: ``evaluate(r for r in rows if r["week"] <= "2026-W12")``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

from bot.analysis.classifier import Classifier, default_classifier
from bot.analysis.labels import CONCERNS, WASTES
from bot.analysis.pipeline import analyze_record, scope_of
from bot.analysis.themes import ThemeIndex


@dataclass(frozen=True, slots=True)
class LabelScore:
    """Counts and scores for one label."""

    label: str
    tp: int
    fp: int
    fn: int

    @property
    def support(self) -> int:
        return self.tp + self.fn

    @property
    def precision(self) -> float:
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float:
        return _ratio(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float:
        return _f1(self.tp, self.fp, self.fn)


def _ratio(a: int, b: int) -> float:
    return a / b if b else 0.0


def _f1(tp: int, fp: int, fn: int) -> float:
    # no positives and no predictions is a perfect (vacuous) score, not zero
    if tp == fp == fn == 0:
        return 1.0
    return 2 * tp / (2 * tp + fp + fn)


@dataclass(frozen=True, slots=True)
class GroupScore:
    """Per-label scores of one label family (wastes or concerns) with micro and macro F1."""

    labels: tuple[LabelScore, ...]

    @property
    def micro_f1(self) -> float:
        return _f1(
            sum(s.tp for s in self.labels),
            sum(s.fp for s in self.labels),
            sum(s.fn for s in self.labels),
        )

    @property
    def macro_f1(self) -> float:
        """Mean F1 over labels that have support or predictions in this set."""
        used = [s.f1 for s in self.labels if s.tp + s.fp + s.fn]
        return sum(used) / len(used) if used else 1.0


@dataclass(frozen=True, slots=True)
class EvalReport:
    """Everything ``kaizen eval`` prints."""

    n: int
    wastes: GroupScore
    concerns: GroupScore
    theme_tp: int
    theme_fp: int
    theme_fn: int
    model_correct: int = 0
    model_total: int = 0
    predictions: list[dict[str, Any]] = field(default_factory=list, compare=False, repr=False)

    @property
    def theme_precision(self) -> float:
        return _ratio(self.theme_tp, self.theme_tp + self.theme_fp)

    @property
    def theme_recall(self) -> float:
        return _ratio(self.theme_tp, self.theme_tp + self.theme_fn)

    @property
    def theme_f1(self) -> float:
        return _f1(self.theme_tp, self.theme_fp, self.theme_fn)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able summary (no per-record predictions)."""

        def group(g: GroupScore) -> dict[str, Any]:
            return {
                "micro_f1": round(g.micro_f1, 4),
                "macro_f1": round(g.macro_f1, 4),
                "labels": {
                    s.label: {
                        "precision": round(s.precision, 4),
                        "recall": round(s.recall, 4),
                        "f1": round(s.f1, 4),
                        "support": s.support,
                        "tp": s.tp,
                        "fp": s.fp,
                        "fn": s.fn,
                    }
                    for s in g.labels
                },
            }

        return {
            "n": self.n,
            "wastes": group(self.wastes),
            "concerns": group(self.concerns),
            "themes": {
                "pairwise_precision": round(self.theme_precision, 4),
                "pairwise_recall": round(self.theme_recall, 4),
                "pairwise_f1": round(self.theme_f1, 4),
                "tp": self.theme_tp,
                "fp": self.theme_fp,
                "fn": self.theme_fn,
            },
            "model_accuracy": round(_ratio(self.model_correct, self.model_total), 4),
        }


def _group(labels: Sequence[str], gold: list[set[str]], pred: list[set[str]]) -> GroupScore:
    scores = []
    for lab in labels:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if lab in g and lab in p)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if lab not in g and lab in p)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if lab in g and lab not in p)
        scores.append(LabelScore(lab, tp, fp, fn))
    return GroupScore(tuple(scores))


def theme_pairs(records: Sequence[dict[str, Any]], key: str) -> set[tuple[int, int]]:
    """Pairs of record positions sharing a non-null ``key`` value within the same team."""
    groups: dict[tuple[str, str], list[int]] = {}
    for i, r in enumerate(records):
        v = r.get(key)
        if v is None:
            continue  # null theme = singleton
        groups.setdefault((scope_of(r), str(v)), []).append(i)
    pairs: set[tuple[int, int]] = set()
    for members in groups.values():
        pairs.update(combinations(members, 2))
    return pairs


def channel_models(records: Iterable[dict[str, Any]]) -> dict[str, list[str]]:
    """Each team's models as named in a labelled corpus: what its channel would configure.

    Scoring with these measures model recognition as it works in a set-up channel, where
    ``/kaizen setup`` lists the team's models; without them only name-shaped guesses remain.
    """
    out: dict[str, set[str]] = {}
    for r in records:
        model = r.get("model")
        if isinstance(model, str) and model:
            out.setdefault(scope_of(r), set()).add(model)
    return {team: sorted(models) for team, models in out.items()}


def evaluate(
    records_with_gold: Iterable[dict[str, Any]],
    *,
    classifier: Classifier | None = None,
    known_models: Sequence[str] = (),
    models_by_team: Mapping[str, Sequence[str]] | None = None,
) -> EvalReport:
    """Run the pipeline over gold-labelled records (in the given order) and score it.

    Each record needs ``text`` and gold ``wastes``/``concerns`` lists; ``theme`` and ``model``
    are optional gold values. ``models_by_team`` gives each team's configured models (see
    :func:`channel_models`); ``known_models`` applies to every team.
    """
    clf = classifier or default_classifier()
    gold_rows = list(records_with_gold)
    themes: dict[str, ThemeIndex] = {}
    preds: list[dict[str, Any]] = []
    for rec in gold_rows:
        inp = {k: rec[k] for k in ("id", "text", "question", "team", "week", "author") if k in rec}
        known = known_models
        if models_by_team is not None:
            known = [*known_models, *models_by_team.get(scope_of(rec), ())]
        preds.append(analyze_record(inp, classifier=clf, themes_by_team=themes, known_models=known))
    gold_w = [set(r.get("wastes") or ()) for r in gold_rows]
    gold_c = [set(r.get("concerns") or ()) for r in gold_rows]
    pred_w = [set(p["wastes"]) for p in preds]
    pred_c = [set(p["concerns"]) for p in preds]
    gp = theme_pairs(gold_rows, "theme")
    pp = theme_pairs(preds, "theme")
    with_model = [(r.get("model"), p["model"]) for r, p in zip(gold_rows, preds, strict=True)]
    model_total = sum(1 for g, _ in with_model if g)
    model_correct = sum(
        1 for g, p in with_model if g and p and (p == g or g.startswith(p) or p.startswith(g))
    )
    return EvalReport(
        n=len(gold_rows),
        wastes=_group(WASTES, gold_w, pred_w),
        concerns=_group(CONCERNS, gold_c, pred_c),
        theme_tp=len(gp & pp),
        theme_fp=len(pp - gp),
        theme_fn=len(gp - pp),
        model_correct=model_correct,
        model_total=model_total,
        predictions=preds,
    )


def render(report: EvalReport) -> str:
    """Aligned plain-text table of a report, for terminals and CI logs."""
    lines = [f"replies: {report.n}", ""]
    header = f"{'label':<22} {'prec':>6} {'recall':>6} {'f1':>6} {'support':>7}"
    for title, g in (("WASTES", report.wastes), ("CONCERNS", report.concerns)):
        lines.append(title)
        lines.append(header)
        lines.append("-" * len(header))
        for s in g.labels:
            lines.append(
                f"{s.label:<22} {s.precision:>6.3f} {s.recall:>6.3f} {s.f1:>6.3f} {s.support:>7d}"
            )
        lines.append("-" * len(header))
        lines.append(f"{'micro F1':<22} {'':>6} {'':>6} {g.micro_f1:>6.3f}")
        lines.append(f"{'macro F1':<22} {'':>6} {'':>6} {g.macro_f1:>6.3f}")
        lines.append("")
    lines.append("THEMES (pairwise, within team)")
    lines.append(
        f"{'pairs':<22} {report.theme_precision:>6.3f} {report.theme_recall:>6.3f} "
        f"{report.theme_f1:>6.3f} {report.theme_tp + report.theme_fn:>7d}"
    )
    if report.model_total:
        acc = report.model_correct / report.model_total
        lines.append("")
        lines.append(f"model named: {report.model_correct}/{report.model_total} ({acc:.3f})")
    return "\n".join(lines)


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    """Read a gold corpus; raises ``ValueError`` naming the line on bad JSON."""
    rows: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{n}: invalid JSON: {exc.msg}") from None
    return rows


if __name__ == "__main__":  # pragma: no cover - manual use: python -m bot.analysis.evaluate FILE
    import sys

    print(render(evaluate(load_jsonl(Path(sys.argv[1])))))
