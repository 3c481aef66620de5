"""A predicted match: the model's score turned into "how likely you are to rate this 4 or 5".

Ranking scores only order movies; a person reading "92% match" expects a probability. The
training pipeline fits a monotone (isotonic) map from score to the share of ratings ≥ 4 on
ratings held out from training, and stores it in the artifact's ``config.json`` under
``"calibration"``. Serving only evaluates it (linear interpolation between the fitted points),
so this module needs nothing from training. An artifact without the entry has no calibration
and the site shows no match.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from recsys.constants import LIKED_STARS


@dataclass(frozen=True)
class MatchCalibration:
    """Points (score, probability) of a non-decreasing map, scores strictly increasing."""

    scores: tuple[float, ...]
    probabilities: tuple[float, ...]
    n_ratings: int  # held-out ratings it was fitted on
    liked_stars: int = LIKED_STARS
    #: True when the map reads the standardised match score
    #: (:meth:`recsys.serving.recommender.Recommender.match_scores`); artifacts from before
    #: it read the raw model score.
    on_taste_scores: bool = False

    def __post_init__(self) -> None:
        scores = np.asarray(self.scores, dtype=np.float64)
        probabilities = np.asarray(self.probabilities, dtype=np.float64)
        if len(scores) == 0 or len(scores) != len(probabilities):
            raise ValueError("calibration needs as many probabilities as scores, at least one")
        if not (np.isfinite(scores).all() and np.isfinite(probabilities).all()):
            raise ValueError("calibration points must be finite")
        if np.any(np.diff(scores) <= 0) or np.any(np.diff(probabilities) < 0):
            raise ValueError("calibration must be monotone (scores increasing, p non-decreasing)")
        if probabilities.min() < 0 or probabilities.max() > 1:
            raise ValueError("calibration probabilities must lie in [0, 1]")

    def probability(self, scores: np.ndarray) -> np.ndarray:
        """P(rating ≥ ``liked_stars``) for each score; flat beyond the fitted range."""
        return np.interp(np.asarray(scores, dtype=np.float64), self.scores, self.probabilities)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scores": list(self.scores),
            "probabilities": list(self.probabilities),
            "n_ratings": self.n_ratings,
            "liked_stars": self.liked_stars,
            "on_taste_scores": self.on_taste_scores,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MatchCalibration:
        try:
            return cls(
                scores=tuple(float(s) for s in data["scores"]),
                probabilities=tuple(float(p) for p in data["probabilities"]),
                n_ratings=int(data["n_ratings"]),
                liked_stars=int(data.get("liked_stars", LIKED_STARS)),
                on_taste_scores=bool(data.get("on_taste_scores", False)),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed calibration: {exc}") from exc


def match_percent(probability: float) -> int:
    """The whole percentage shown; never 0% or 100%, which no held-out sample can justify."""
    return int(min(99, max(1, round(100 * float(probability)))))
