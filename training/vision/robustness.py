"""Accuracy of a trained classifier on corrupted copies of the test set.

A noise level is applied with a generator seeded from (seed, kind, level), so every model in a
comparison sees exactly the same corrupted images and the drops are directly comparable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from training.vision.noise import DEFAULT_LEVELS, apply_noise

Evaluator = Callable[[torch.Tensor, torch.Tensor], float]


def noise_generator(seed: int, kind: str, level: float) -> torch.Generator:
    kind_offset = sum(ord(char) for char in kind)
    return torch.Generator().manual_seed(
        seed * 1_000_003 + kind_offset * 1_009 + round(level * 1e4)
    )


def evaluate_under_noise(
    evaluate: Evaluator,
    images: torch.Tensor,
    labels: torch.Tensor,
    kinds: Sequence[str] = ("gaussian", "salt-pepper"),
    levels: dict[str, Sequence[float]] | None = None,
    seed: int = 0,
) -> dict[str, list[dict[str, float]]]:
    """For each kind and level: accuracy, and its drop from the clean accuracy (in points).

    `evaluate(images, labels)` returns an accuracy in [0, 1]; level 0 is always included so the
    drop has a reference measured in the same call.
    """
    levels = levels or DEFAULT_LEVELS
    clean = evaluate(images, labels)
    report: dict[str, list[dict[str, float]]] = {}
    for kind in kinds:
        rows = []
        for level in sorted({0.0, *levels[kind]}):
            if level == 0.0:
                accuracy = clean
            else:
                noisy = apply_noise(images, kind, level, noise_generator(seed, kind, level))
                accuracy = evaluate(noisy, labels)
            rows.append({"level": float(level), "accuracy": accuracy, "drop": clean - accuracy})
        report[kind] = rows
    return report
