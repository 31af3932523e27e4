"""The label ids of ``shared/taxonomy.md``: the exact strings stored, exported and scored."""

from typing import Final, Literal

WASTES: Final[tuple[str, ...]] = (
    "waiting",
    "defects",
    "overproduction",
    "overprocessing",
    "inventory",
    "motion",
    "transportation",
    "unused_talent",
)

CONCERNS: Final[tuple[str, ...]] = (
    "model_quality",
    "serving_sla",
    "training_scale",
    "drift_retraining",
    "explainability",
    "security_privacy",
    "statistical_validity",
)

LabelKind = Literal["waste", "concern"]

WASTE_NAMES: Final[dict[str, str]] = {
    "waiting": "Waiting",
    "defects": "Defects (rework)",
    "overproduction": "Overproduction",
    "overprocessing": "Extra-processing",
    "inventory": "Inventory (partly done work)",
    "motion": "Motion (task switching)",
    "transportation": "Transportation (hand-offs)",
    "unused_talent": "Non-utilised talent",
}

CONCERN_NAMES: Final[dict[str, str]] = {
    "model_quality": "Model quality",
    "serving_sla": "Serving SLA",
    "training_scale": "Training scale",
    "drift_retraining": "Drift and retraining",
    "explainability": "Explainability",
    "security_privacy": "Security and privacy",
    "statistical_validity": "Statistical validity",
}


def kind_of(label: str) -> LabelKind:
    """Tell whether ``label`` is a waste or a concern; raise ``ValueError`` for anything else."""
    if label in WASTES:
        return "waste"
    if label in CONCERNS:
        return "concern"
    raise ValueError(f"unknown label {label!r}; expected one of {', '.join(WASTES + CONCERNS)}")


def display_name(label: str) -> str:
    """Human name of a label id, for digests and acknowledgements."""
    return WASTE_NAMES.get(label) or CONCERN_NAMES.get(label) or label
