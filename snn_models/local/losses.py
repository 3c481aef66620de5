"""Local losses for one block: prediction, similarity matching, contrastive, reconstruction.

:class:`HybridLocalLoss` combines them as
``alpha * L_pred + beta * L_sim + gamma * L_contrast + zeta * L_recon`` (plus an optional
supervised-contrastive term ``supcon``); ``L_contrast`` is the thesis's margin loss
(:func:`margin_contrastive_loss`); a zero coefficient
skips its term entirely (no head needed, no compute). Each term is also a plain function so
custom losses can reuse them.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = [
    "SIMILARITY_FORMS",
    "HybridLocalLoss",
    "cosine_similarity_matrix",
    "frobenius_similarity_loss",
    "margin_contrastive_loss",
    "per_step_cross_entropy",
    "prediction_loss",
    "reconstruction_loss",
    "similarity_matching_loss",
    "similarity_matrix",
    "supervised_contrastive_loss",
]

_EPS = 1e-8
# correlation-mse: Nokland & Eidnes's MSE of correlation matrices of the block's rate;
# cosine-frobenius: the Hu thesis's squared Frobenius norm of cosine-similarity matrices of E_theta
SIMILARITY_FORMS = ("correlation-mse", "cosine-frobenius")


def _features(spikes: Tensor) -> Tensor:
    """Per-sample firing rates, flattened: ``(T, B, ...) -> (B, D)``."""
    return spikes.mean(0).flatten(1)


def prediction_loss(logits: Tensor, target: Tensor) -> Tensor:
    """Cross-entropy of the auxiliary classifier."""
    return F.cross_entropy(logits, target)


def per_step_cross_entropy(logits: Tensor, target: Tensor) -> Tensor:
    """``sum_t CE(logits[t], target)`` over time-major logits ``(T, B, C)``, each CE a batch mean.

    Why a sum over steps rather than one CE on the time mean: the network is then asked to be
    right at every step, not only on average, which is the loss snnTorch's tutorials put on
    the output membrane and the Hu thesis puts on its local prediction heads.
    """
    steps, batch = logits.shape[0], logits.shape[1]
    per_sample = F.cross_entropy(
        logits.reshape(steps * batch, -1), target.repeat(steps), reduction="none"
    )
    return per_sample.view(steps, batch).mean(1).sum()


def similarity_matrix(x: Tensor) -> Tensor:
    """Cosine similarity of mean-centred rows ``(B, D) -> (B, B)`` (i.e. correlations)."""
    centred = x - x.mean(1, keepdim=True)
    unit = centred / centred.norm(dim=1, keepdim=True).clamp(min=_EPS)
    return unit @ unit.T


def cosine_similarity_matrix(x: Tensor) -> Tensor:
    """Cosine similarity of the rows as they are (no centring): ``(B, D) -> (B, B)``."""
    unit = x / x.norm(dim=1, keepdim=True).clamp(min=_EPS)
    return unit @ unit.T


def frobenius_similarity_loss(embedded: Tensor, target: Tensor, num_classes: int) -> Tensor:
    """``|| S(E_theta(z)) - S(Y) ||_F^2``, S the cosine-similarity matrix, Y one-hot labels.

    The Hu thesis's L_sim as we read it (docs/vision.md, seed 000): the squared Frobenius norm
    of the difference, summed over all ``B^2`` pairs rather than averaged, on the plain cosine
    similarity of the embedded rates ``E_theta(z)``.
    """
    labels = F.one_hot(target, num_classes).to(embedded.dtype)
    difference = cosine_similarity_matrix(embedded) - cosine_similarity_matrix(labels)
    return difference.square().sum()


def similarity_matching_loss(features: Tensor, target: Tensor, num_classes: int) -> Tensor:
    """Match the batch's feature similarity matrix to its label similarity matrix.

    The "sim" loss of Nokland & Eidnes (2019): a block is pushed to represent same-class
    samples alike and different classes differently, without a classifier of its own.
    """
    labels = F.one_hot(target, num_classes).to(features.dtype)
    return F.mse_loss(similarity_matrix(features), similarity_matrix(labels))


def margin_contrastive_loss(features: Tensor, target: Tensor, margin: float = 1.0) -> Tensor:
    """Pairwise margin (contrastive) loss of Hadsell, Chopra & LeCun (2006), as in the thesis.

    On L2-normalised features with Euclidean distance ``d``: same-class pairs pay ``d^2``,
    different-class pairs pay ``max(0, margin - d)^2``; averaged over the batch's pairs.
    """
    unit = features / features.norm(dim=1, keepdim=True).clamp(min=_EPS)
    sq = (unit.square().sum(1, keepdim=True) + unit.square().sum(1) - 2 * unit @ unit.T).clamp(
        min=0
    )
    dist = torch.sqrt(sq + _EPS)
    same = (target.unsqueeze(0) == target.unsqueeze(1)).to(features.dtype)
    off_diagonal = 1.0 - torch.eye(features.shape[0], dtype=features.dtype, device=features.device)
    per_pair = same * sq + (1.0 - same) * F.relu(margin - dist).square()
    return (per_pair * off_diagonal).sum() / off_diagonal.sum().clamp(min=1.0)


def supervised_contrastive_loss(
    features: Tensor, target: Tensor, temperature: float = 0.1
) -> Tensor:
    """Supervised contrastive loss (Khosla et al., 2020) on L2-normalised features.

    Every other sample of the same class is a positive; anchors without positives are skipped.
    """
    unit = features / features.norm(dim=1, keepdim=True).clamp(min=_EPS)
    logits = unit @ unit.T / temperature
    batch = features.shape[0]
    self_mask = torch.eye(batch, dtype=torch.bool, device=features.device)
    logits = logits.masked_fill(self_mask, float("-inf"))
    log_prob = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    positives = (target.unsqueeze(0) == target.unsqueeze(1)) & ~self_mask
    counts = positives.sum(1)
    has_positive = counts > 0
    if not bool(has_positive.any()):
        return features.sum() * 0.0
    positive_log_prob = log_prob.masked_fill(~positives, 0.0).sum(1)
    per_anchor = -positive_log_prob[has_positive] / counts[has_positive]
    return per_anchor.mean()


def reconstruction_loss(reconstruction: Tensor, block_input: Tensor) -> Tensor:
    """MSE between the decoder's output and the block input's rate (``(T, B, ...)``)."""
    return F.mse_loss(reconstruction, block_input.mean(0))


class HybridLocalLoss:
    """``alpha * L_pred + beta * L_sim + gamma * L_contrast + zeta * L_recon`` for one block.

    Called as ``loss(block_output, labels)``. ``L_pred`` needs the block's head, ``L_recon`` its
    decoder. The default (prediction + similarity matching) is the "predsim" recipe of
    Nokland & Eidnes (2019).
    """

    def __init__(
        self,
        num_classes: int,
        alpha: float = 1.0,
        beta: float = 1.0,
        gamma: float = 0.0,
        zeta: float = 0.0,
        temperature: float = 0.1,
        supcon: float = 0.0,
        margin: float = 1.0,
        similarity: str = "correlation-mse",
    ) -> None:
        if similarity not in SIMILARITY_FORMS:
            raise ValueError(f"similarity must be one of {SIMILARITY_FORMS}, got {similarity!r}")
        self.similarity = similarity
        self.num_classes = num_classes
        self.alpha, self.beta, self.gamma, self.zeta = (
            float(alpha),
            float(beta),
            float(gamma),
            float(zeta),
        )
        self.temperature = temperature
        self.supcon = float(supcon)
        self.margin = float(margin)

    def terms(self, block_output: Any, target: Tensor) -> dict[str, Tensor]:
        """Each active term, unweighted, for logging."""
        out: dict[str, Tensor] = {}
        if self.alpha:
            if block_output.head is None:
                raise ValueError("the prediction term needs a block with a head")
            head = block_output.head
            per_step = head.dim() == 3  # (T, B, classes) from a per-step head
            out["pred"] = (
                per_step_cross_entropy(head, target) if per_step else prediction_loss(head, target)
            )
        if self.beta or self.gamma or self.supcon:
            features = _features(block_output.output)
            if self.beta and self.similarity == "cosine-frobenius":
                if block_output.embedding is None:
                    raise ValueError("the cosine-frobenius similarity needs a block embedding")
                out["sim"] = frobenius_similarity_loss(
                    block_output.embedding, target, self.num_classes
                )
            elif self.beta:
                out["sim"] = similarity_matching_loss(features, target, self.num_classes)
            if self.gamma:
                out["contrast"] = margin_contrastive_loss(features, target, self.margin)
            if self.supcon:
                out["supcon"] = supervised_contrastive_loss(features, target, self.temperature)
        if self.zeta:
            if block_output.reconstruction is None:
                raise ValueError("the reconstruction term needs a block with a decoder")
            out["recon"] = reconstruction_loss(block_output.reconstruction, block_output.input)
        return out

    def __call__(self, block_output: Any, target: Tensor) -> Tensor:
        weights = {
            "pred": self.alpha,
            "sim": self.beta,
            "contrast": self.gamma,
            "recon": self.zeta,
            "supcon": self.supcon,
        }
        terms = self.terms(block_output, target)
        if not terms:
            raise ValueError("all loss coefficients are zero")
        weighted = [weights[name] * value for name, value in terms.items()]
        return torch.stack(weighted).sum()

    def __repr__(self) -> str:
        return (
            f"HybridLocalLoss(alpha={self.alpha}, beta={self.beta}, gamma={self.gamma}, "
            f"zeta={self.zeta}, supcon={self.supcon}, similarity={self.similarity!r})"
        )
