"""The two catalogue objectives on hand-computed examples."""

import math

import pytest
import torch

from recsys.models.losses import catalogue_loss, ranking_loss, softmax_catalogue_loss


def test_squared_loss_weights_negatives():
    scores = torch.tensor([[0.5, 1.0, 0.0]])
    targets = torch.tensor([[1.0, 0.0, 0.0]])
    # (1 - 0.5)² + w·(0 - 1)² + w·0²
    assert catalogue_loss(scores, targets, 1.0).item() == pytest.approx(1.25)
    assert catalogue_loss(scores, targets, 0.5).item() == pytest.approx(0.75)


def test_softmax_loss_is_the_multinomial_negative_log_likelihood():
    scores = torch.tensor([[0.0, math.log(3.0)], [0.0, 0.0]])
    targets = torch.tensor([[1.0, 1.0], [0.0, 1.0]])
    # user 1: p = (1/4, 3/4), both rated → −log(1/4) − log(3/4); user 2: p = (1/2, 1/2)
    expected = (-math.log(0.25) - math.log(0.75) - math.log(0.5)) / 2
    assert softmax_catalogue_loss(scores, targets).item() == pytest.approx(expected)


def test_softmax_loss_ignores_a_shift_of_all_scores():
    scores = torch.randn(4, 7)
    targets = (torch.rand(4, 7) > 0.5).float()
    shifted = softmax_catalogue_loss(scores + 3.0, targets)
    assert shifted.item() == pytest.approx(softmax_catalogue_loss(scores, targets).item())


def test_ranking_loss_dispatches_by_name_and_rejects_unknown_names():
    scores, targets = torch.randn(2, 5), torch.zeros(2, 5)
    assert ranking_loss("squared", scores, targets).item() == pytest.approx(
        catalogue_loss(scores, targets).item()
    )
    with pytest.raises(ValueError, match="loss must be one of"):
        ranking_loss("hinge", scores, targets)
