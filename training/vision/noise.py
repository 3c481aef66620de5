"""Input corruptions for robustness evaluation.

Both corruptions act on images in [0, 1] and keep them there, so a corrupted image is still a
valid input for the same encoder. Each takes an explicit generator so a noise level always means
the same corrupted test set, and the accuracy drop between models is comparable.

- Gaussian: add independent N(0, std^2) noise to every pixel, then clip to [0, 1]. Before the
  clip the added noise has mean 0 and standard deviation `std`; the clip only bites on pixels
  within a few `std` of 0 or 1.
- Salt and pepper: each pixel independently, with probability `amount`, is replaced; a replaced
  pixel becomes 1 (salt) or 0 (pepper) with equal probability. So on average a fraction `amount`
  of pixels is replaced, half of them white and half black.
"""

from __future__ import annotations

import torch

NOISE_KINDS = ("gaussian", "salt-pepper")
DEFAULT_LEVELS = {
    # The light levels (std <= 0.1, p <= 0.05) are where the HSIC-bottleneck thesis measured.
    "gaussian": (0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5),
    "salt-pepper": (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3),
}


def gaussian_noise(
    images: torch.Tensor, std: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    if std < 0:
        raise ValueError(f"std must be non-negative, got {std}")
    if std == 0:
        return images.clone()
    noise = torch.randn(images.shape, generator=generator, dtype=images.dtype)
    return (images + std * noise.to(images.device)).clamp_(0.0, 1.0)


def salt_and_pepper_noise(
    images: torch.Tensor, amount: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    if not 0.0 <= amount <= 1.0:
        raise ValueError(f"amount must lie in [0, 1], got {amount}")
    corrupted = images.clone()
    if amount == 0:
        return corrupted
    draws = torch.rand(images.shape, generator=generator).to(images.device)
    corrupted[draws < amount / 2] = 0.0
    corrupted[(draws >= amount / 2) & (draws < amount)] = 1.0
    return corrupted


def apply_noise(
    images: torch.Tensor, kind: str, level: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    if kind == "gaussian":
        return gaussian_noise(images, level, generator)
    if kind == "salt-pepper":
        return salt_and_pepper_noise(images, level, generator)
    raise ValueError(f"unknown noise kind {kind!r}; choose from {NOISE_KINDS}")
