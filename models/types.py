"""Plain value types shared by the model modules (re-exported by :mod:`models.registry`)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ATTRIBUTES", "TOXICITY_LABELS", "LabelledExample", "Span", "TextInput"]

ATTRIBUTES: tuple[str, ...] = (
    "spam",
    "toxicity",
    "severe_toxicity",
    "identity_attack",
    "insult",
    "profanity",
    "threat",
)
TOXICITY_LABELS: tuple[str, ...] = ATTRIBUTES[1:]


@dataclass(frozen=True)
class TextInput:
    """One comment to score."""

    text: str
    author_name: str = ""
    author_url: str = ""
    author_email: str = ""


@dataclass(frozen=True)
class Span:
    """A stretch of the original comment text that drove an attribute's score."""

    start: int
    """Character offset into ``TextInput.text`` (the original, not the normalised text)."""
    end: int
    score: float
    """Probability the model gives the span's text on its own, in [0, 1]."""


@dataclass(frozen=True)
class LabelledExample:
    """A training or evaluation example.

    ``labels`` maps attribute names to 0/1; an attribute that is absent is unknown for this
    example (data sets label different things), and that attribute's classifier skips it.
    Moderator feedback becomes ``LabelledExample(text, labels={"spam": 1}, source="feedback")``.
    """

    text: str
    labels: dict[str, int] = field(default_factory=dict)
    source: str = "feedback"
    """Data set name; the split and metrics are reported per source."""
    group: str = ""
    """Grouping for honest validation (YouTube: the video)."""
    author_name: str = ""
    author_url: str = ""
    author_email: str = ""

    def as_input(self) -> TextInput:
        return TextInput(self.text, self.author_name, self.author_url, self.author_email)
