"""The corruptions have the statistics their docstrings promise, and are reproducible."""

import pytest
import torch

from training.vision.noise import apply_noise, gaussian_noise, salt_and_pepper_noise
from training.vision.robustness import evaluate_under_noise

GRAY = torch.full((200, 1, 28, 28), 0.5)


def seeded(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_gaussian_noise_adds_zero_mean_noise_with_the_requested_std():
    noisy = gaussian_noise(GRAY, 0.1, seeded())
    added = noisy - GRAY
    assert abs(added.mean().item()) < 2e-3
    assert added.std().item() == pytest.approx(0.1, rel=0.01)


def test_gaussian_noise_is_clipped_to_the_unit_interval():
    noisy = gaussian_noise(GRAY, 1.0, seeded())
    assert noisy.min().item() == 0.0 and noisy.max().item() == 1.0
    # With std 1 around 0.5, P(|z| > 0.5) = 0.617 of pixels hit a bound.
    at_bound = ((noisy == 0) | (noisy == 1)).float().mean().item()
    assert at_bound == pytest.approx(0.617, abs=0.01)


def test_salt_and_pepper_replaces_the_requested_fraction_half_white_half_black():
    noisy = salt_and_pepper_noise(GRAY, 0.2, seeded())
    salt = (noisy == 1.0).float().mean().item()
    pepper = (noisy == 0.0).float().mean().item()
    untouched = (noisy == 0.5).float().mean().item()
    assert salt == pytest.approx(0.1, abs=0.003)
    assert pepper == pytest.approx(0.1, abs=0.003)
    assert untouched == pytest.approx(0.8, abs=0.003)


def test_zero_level_leaves_images_unchanged_and_does_not_alias_input():
    for kind in ("gaussian", "salt-pepper"):
        out = apply_noise(GRAY, kind, 0.0, seeded())
        assert torch.equal(out, GRAY)
        assert out.data_ptr() != GRAY.data_ptr()


def test_same_generator_seed_gives_same_corruption():
    first = apply_noise(GRAY, "salt-pepper", 0.3, seeded(7))
    second = apply_noise(GRAY, "salt-pepper", 0.3, seeded(7))
    third = apply_noise(GRAY, "salt-pepper", 0.3, seeded(8))
    assert torch.equal(first, second)
    assert not torch.equal(first, third)


def test_invalid_levels_and_kinds_are_rejected():
    with pytest.raises(ValueError):
        gaussian_noise(GRAY, -0.1)
    with pytest.raises(ValueError):
        salt_and_pepper_noise(GRAY, 1.5)
    with pytest.raises(ValueError, match="unknown noise kind"):
        apply_noise(GRAY, "speckle", 0.1)


def test_evaluate_under_noise_reports_accuracy_and_drop_per_level():
    # A classifier that says "bright" when the mean pixel exceeds 0.5: noise that whitens
    # pixels changes its answers, so the drop must be positive at high salt levels.
    images = torch.cat([torch.full((50, 1, 4, 4), 0.2), torch.full((50, 1, 4, 4), 0.8)])
    labels = torch.cat([torch.zeros(50), torch.ones(50)]).long()

    def evaluate(x, y):
        guess = (x.mean(dim=(1, 2, 3)) > 0.5).long()
        return (guess == y).float().mean().item()

    report = evaluate_under_noise(
        evaluate,
        images,
        labels,
        kinds=["gaussian", "salt-pepper"],
        levels={"gaussian": [0.05], "salt-pepper": [0.9]},
    )
    assert [row["level"] for row in report["gaussian"]] == [0.0, 0.05]
    assert report["gaussian"][0] == {"level": 0.0, "accuracy": 1.0, "drop": 0.0}
    assert report["gaussian"][1]["accuracy"] == 1.0
    heavy = report["salt-pepper"][1]
    assert heavy["accuracy"] < 0.9
    assert heavy["drop"] == pytest.approx(1.0 - heavy["accuracy"])
