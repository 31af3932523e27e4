"""Result types shared by the offline classifier, the LLM refinement and storage."""

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Classification:
    """Labels found in one reply, each with a confidence in [0, 1].

    Only labels at or above the classifier's decision threshold are present, so
    ``list(c.wastes)`` is the predicted waste set.
    """

    wastes: dict[str, float] = field(default_factory=dict)
    concerns: dict[str, float] = field(default_factory=dict)

    @property
    def labels(self) -> dict[str, float]:
        """All labels, wastes and concerns together."""
        return {**self.wastes, **self.concerns}

    @property
    def is_empty(self) -> bool:
        return not self.wastes and not self.concerns
