"""Layer-local learning: blocks with detached inputs, auxiliary heads, local losses, HSIC."""

from snn_models.local.block import BlockOutput, LocalBlock, LocalLoss, LocalNetwork
from snn_models.local.heads import ClassifierHead, ConvDecoder, DenseDecoder, SimilarityEmbedding
from snn_models.local.hsic import (
    HSICBottleneckLoss,
    center_gram,
    hsic,
    normalized_hsic,
    unbiased_hsic,
)
from snn_models.local.kernels import (
    KERNEL_KINDS,
    ArcsineKernel,
    CosineKernel,
    GaussianKernel,
    Kernel,
    LaplaceKernel,
    LaplaceL1Kernel,
    SigmoidKernel,
    get_kernel,
)
from snn_models.local.losses import (
    SIMILARITY_FORMS,
    HybridLocalLoss,
    cosine_similarity_matrix,
    frobenius_similarity_loss,
    per_step_cross_entropy,
    prediction_loss,
    reconstruction_loss,
    similarity_matching_loss,
    similarity_matrix,
    supervised_contrastive_loss,
)
from snn_models.local.training import BPTTTrainer, LocalTrainer, OptimizerFactory

__all__ = [
    "SIMILARITY_FORMS",
    "SimilarityEmbedding",
    "cosine_similarity_matrix",
    "frobenius_similarity_loss",
    "KERNEL_KINDS",
    "ArcsineKernel",
    "LaplaceL1Kernel",
    "BPTTTrainer",
    "BlockOutput",
    "ClassifierHead",
    "ConvDecoder",
    "CosineKernel",
    "DenseDecoder",
    "GaussianKernel",
    "HSICBottleneckLoss",
    "HybridLocalLoss",
    "Kernel",
    "LaplaceKernel",
    "LocalBlock",
    "LocalLoss",
    "LocalNetwork",
    "LocalTrainer",
    "OptimizerFactory",
    "SigmoidKernel",
    "center_gram",
    "get_kernel",
    "hsic",
    "normalized_hsic",
    "per_step_cross_entropy",
    "prediction_loss",
    "reconstruction_loss",
    "similarity_matching_loss",
    "similarity_matrix",
    "supervised_contrastive_loss",
    "unbiased_hsic",
]
