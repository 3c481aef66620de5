"""HSIC and its kernels: dependence measured correctly, kernels valid, O(B^2)."""

import pytest
import torch

from snn_models import (
    KERNEL_KINDS,
    BlockOutput,
    CosineKernel,
    GaussianKernel,
    HSICBottleneckLoss,
    LaplaceKernel,
    SigmoidKernel,
    get_kernel,
    hsic,
    normalized_hsic,
    unbiased_hsic,
)
from snn_models.local.hsic import center_gram
from snn_models.local.kernels import ArcsineKernel, LaplaceL1Kernel

KERNELS = [
    GaussianKernel(),
    GaussianKernel(sigma=2.0),
    LaplaceKernel(),
    LaplaceL1Kernel(),
    CosineKernel(),
    ArcsineKernel(),
]


def _data(batch=200, dim=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, dim, generator=g, dtype=torch.float64) + 1.0


@pytest.mark.parametrize("kernel", KERNELS, ids=repr)
def test_kernels_are_symmetric_and_positive_semidefinite(kernel):
    for x in (_data(60), (torch.rand(60, 30, dtype=torch.float64) > 0.7).double()):
        gram = kernel(x)
        assert gram.shape == (60, 60)
        torch.testing.assert_close(gram, gram.T)
        assert torch.linalg.eigvalsh(gram).min() > -1e-8


def _unbiased_normalized(kx, kz):
    return unbiased_hsic(kx, kz) / torch.sqrt(unbiased_hsic(kx, kx) * unbiased_hsic(kz, kz))


@pytest.mark.parametrize("kernel", KERNELS, ids=repr)
def test_independent_samples_give_near_zero_and_identical_give_the_maximum(kernel):
    x, z = _data(seed=1), _data(seed=2)
    kx, kz = kernel(x), kernel(z)
    assert abs(_unbiased_normalized(kx, kz)) < 0.03
    # the biased estimator's excess over zero is only its O(1/B) bias: it shrinks with B
    small = normalized_hsic(kernel(_data(100, seed=3)), kernel(_data(100, seed=4)))
    large = normalized_hsic(kernel(_data(400, seed=3)), kernel(_data(400, seed=4)))
    assert large < small / 2.5
    one = torch.tensor(1.0, dtype=torch.float64)
    torch.testing.assert_close(normalized_hsic(kx, kx), one)
    torch.testing.assert_close(_unbiased_normalized(kx, kx), one)
    dependent = kernel(x + 0.3 * z)
    assert normalized_hsic(kx, dependent) > 0.3
    # Cauchy-Schwarz: nothing depends on X more than X itself
    assert hsic(kx, kz) <= torch.sqrt(hsic(kx, kx) * hsic(kz, kz))
    assert hsic(kx, dependent) <= torch.sqrt(hsic(kx, kx) * hsic(dependent, dependent))
    assert hsic(kx, kx) > hsic(kx, dependent) > hsic(kx, kz)


def test_hsic_equals_the_trace_formula():
    x, z = _data(30, seed=3), _data(30, seed=4)
    kx, kz = GaussianKernel()(x), LaplaceKernel()(z)
    h = torch.eye(30, dtype=torch.float64) - 1 / 30
    expected = torch.trace(kx @ h @ kz @ h) / 29**2
    torch.testing.assert_close(hsic(kx, kz), expected)
    torch.testing.assert_close(center_gram(kx), h @ kx @ h)
    # unbiased estimator against its matrix formula (Song et al., 2012)
    kt, lt = kx - torch.diag(torch.diag(kx)), kz - torch.diag(torch.diag(kz))
    one = torch.ones(30, 1, dtype=torch.float64)
    unbiased = (
        torch.trace(kt @ lt)
        + (one.T @ kt @ one) * (one.T @ lt @ one) / (29 * 28)
        - 2 / 28 * (one.T @ kt @ lt @ one)
    ) / (30 * 27)
    torch.testing.assert_close(unbiased_hsic(kx, kz), unbiased.squeeze())


def test_median_heuristic_makes_gaussian_bandwidth_scale_free():
    x = _data(80, seed=5)
    torch.testing.assert_close(GaussianKernel()(x), GaussianKernel()(10 * x))
    torch.testing.assert_close(LaplaceKernel()(x), LaplaceKernel()(10 * x))
    assert not torch.allclose(GaussianKernel(sigma=1.0)(x), GaussianKernel(sigma=1.0)(10 * x))


def test_kernel_factory():
    assert set(KERNEL_KINDS) == {
        "gaussian",
        "cosine",
        "laplace",
        "sigmoid",
        "laplace-l1",
        "arcsine",
    }
    assert get_kernel("gaussian", sigma=0.5) == GaussianKernel(0.5)
    assert isinstance(get_kernel("Laplace"), LaplaceKernel)
    with pytest.raises(ValueError, match="unknown kernel"):
        get_kernel("polynomial")


def test_hsic_bottleneck_loss_prefers_label_information_over_input_detail():
    torch.manual_seed(0)
    labels = torch.randint(0, 3, (90,))
    network_input = torch.randn(4, 90, 12).abs()  # (T, B, features)
    label_code = torch.nn.functional.one_hot(labels, 3).float()
    informative = label_code.unsqueeze(0).expand(4, 90, 3)
    copy_of_input = network_input[..., :3]
    loss = HSICBottleneckLoss(num_classes=3, beta=2.0, kernel="gaussian")

    def value(output):
        out = BlockOutput(0, network_input, output, None, None, network_input)
        return float(loss(out, labels))

    assert value(informative) < value(copy_of_input)
    (with_input, with_label) = loss.terms(network_input, informative, labels)
    assert with_label > 0.99 and with_input < 0.2


def test_hsic_bottleneck_loss_is_differentiable_and_stays_on_the_input_device():
    output = torch.rand(3, 16, 5, requires_grad=True)
    network_input = torch.rand(3, 16, 7)
    labels = torch.arange(16) % 4
    for kind in KERNEL_KINDS:
        loss = HSICBottleneckLoss(num_classes=4, kernel=kind)
        value = loss(BlockOutput(0, network_input, output, None, None, network_input), labels)
        assert value.device == output.device and value.dim() == 0
        (grad,) = torch.autograd.grad(value, output)
        assert torch.isfinite(grad).all() and grad.abs().sum() > 0


def test_laplace_and_sigmoid_follow_the_thesis_definitions():
    """Laplace: exp(-|x - y|_2 / sigma) with the Euclidean distance; sigmoid: tanh(a x.y + c)."""
    x = _data(12, dim=4, seed=7)
    sigma = 1.7
    dist = torch.cdist(x, x, p=2.0)
    torch.testing.assert_close(LaplaceKernel(sigma=sigma)(x), torch.exp(-dist / sigma))
    manhattan = torch.cdist(x, x, p=1.0)
    torch.testing.assert_close(LaplaceL1Kernel(sigma=sigma)(x), torch.exp(-manhattan / sigma))
    assert not torch.allclose(LaplaceKernel(sigma=sigma)(x), LaplaceL1Kernel(sigma=sigma)(x))
    torch.testing.assert_close(SigmoidKernel(alpha=0.3, c=-0.5)(x), torch.tanh(0.3 * x @ x.T - 0.5))
    torch.testing.assert_close(SigmoidKernel()(x), torch.tanh(x @ x.T / 4))
