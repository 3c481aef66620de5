"""The fused LIF scan equals the plain step-by-step reference, values and gradients."""

import itertools

import pytest
import torch

from snn_models import ATan, LIFParameters, Sigmoid, Triangle, lif_scan, lif_scan_reference

CONFIGS = list(itertools.product(["subtract", "zero"], [False, True], [False, True]))


def _inputs(dtype, seed=0, shape=(7, 3, 5)):
    g = torch.Generator().manual_seed(seed)
    x = (1.5 * torch.randn(*shape, generator=g, dtype=dtype)).requires_grad_()
    v0 = torch.randn(*shape[1:], generator=g, dtype=dtype).requires_grad_()
    return x, v0


def _grads(outputs, weights, inputs):
    spikes, v_last = outputs
    objective = (spikes * weights[0]).sum() + (v_last * weights[1]).sum()
    return torch.autograd.grad(objective, inputs)


@pytest.mark.parametrize("reset,detach_reset,decay_input", CONFIGS)
@pytest.mark.parametrize("surrogate", [ATan(2.0), Sigmoid(4.0), Triangle(1.0)], ids=repr)
def test_fused_scan_matches_reference_values_and_gradients(
    reset, detach_reset, decay_input, surrogate
):
    x, v0 = _inputs(torch.float64)
    alpha = torch.tensor(0.6, dtype=torch.float64, requires_grad=True)
    params = LIFParameters(
        alpha=alpha,
        threshold=0.7,  # not a float32 number: float64 must stay float64
        surrogate=surrogate,
        reset=reset,
        detach_reset=detach_reset,
        decay_input=decay_input,
    )
    fused = lif_scan(x, params, v0=v0, backend="torch")
    reference = lif_scan_reference(x, params, v0=v0)
    assert torch.equal(fused[0], reference[0])
    assert fused[0].sum() > 0, "the test input must make the neurons fire"
    # float64 to rounding: a looser tolerance once hid a float32 threshold in the reset
    torch.testing.assert_close(fused[1], reference[1], rtol=1e-12, atol=1e-12)
    g = torch.Generator().manual_seed(1)
    weights = (
        torch.randn(fused[0].shape, generator=g, dtype=torch.float64),
        torch.randn(fused[1].shape, generator=g, dtype=torch.float64),
    )
    for ours, theirs in zip(
        _grads(fused, weights, (x, alpha, v0)),
        _grads(reference, weights, (x, alpha, v0)),
        strict=True,
    ):
        torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "reset,decay_input", list(itertools.product(["subtract", "zero"], [False, True]))
)
@pytest.mark.parametrize("surrogate", [ATan(2.0), Sigmoid(4.0)], ids=repr)
def test_gradcheck_of_the_smooth_scan(reset, decay_input, surrogate):
    """With the smooth step forward, the hand-written backward must be the exact derivative."""
    x, v0 = _inputs(torch.float64, shape=(5, 2, 3))
    scalar = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    per_neuron = torch.tensor([0.2, 0.5, 0.9], dtype=torch.float64, requires_grad=True)

    def scan(x, alpha, v0):
        params = LIFParameters(alpha, 1.0, reset, surrogate, decay_input=decay_input)
        return lif_scan(x, params, v0=v0, smooth=True, backend="torch")

    assert torch.autograd.gradcheck(scan, (x, scalar, v0))
    assert torch.autograd.gradcheck(scan, (x, per_neuron, v0))


def test_float32_matches_float64_reference():
    x64, _ = _inputs(torch.float64, shape=(20, 16, 32))
    x32 = x64.detach().float().requires_grad_()
    spikes, _ = lif_scan(x32, LIFParameters(alpha=0.8))
    ref, _ = lif_scan_reference(x64.detach(), LIFParameters(alpha=0.8))
    assert torch.equal(spikes.double(), ref)


def test_repeated_input_view_gives_the_same_result_as_a_copy():
    x = torch.randn(4, 6, requires_grad=True)
    repeated = x.unsqueeze(0).expand(9, 4, 6)
    copied = x.unsqueeze(0).repeat(9, 1, 1)
    params = LIFParameters(alpha=0.5, decay_input=True)
    s1, v1 = lif_scan(2 * repeated, params)
    s2, v2 = lif_scan(2 * copied, params)
    assert torch.equal(s1, s2) and torch.equal(v1, v2)
    (g1,) = torch.autograd.grad(s1.sum(), x)
    (g2,) = torch.autograd.grad(s2.sum(), x)
    torch.testing.assert_close(g1, g2)


def test_only_the_charged_potential_is_kept_for_backward():
    x = torch.randn(10, 4, 8, requires_grad=True)
    spikes, _ = lif_scan(x, LIFParameters(alpha=0.5), backend="torch")
    saved = spikes.grad_fn.saved_tensors
    big = [t for t in saved if t is not None and t.numel() >= x.numel()]
    assert len(big) == 1 and big[0].shape == x.shape


def test_rejects_bad_arguments():
    with pytest.raises(ValueError, match="reset"):
        LIFParameters(alpha=0.5, reset="hard")
    with pytest.raises(TypeError, match="Surrogate"):
        LIFParameters(surrogate="atan")
    with pytest.raises(TypeError, match="LIFParameters"):
        lif_scan(torch.zeros(3, 2), 0.5)
    with pytest.raises(ValueError, match="time-major"):
        lif_scan(torch.zeros(3), LIFParameters())
    with pytest.raises(ValueError, match="backend"):
        lif_scan(torch.zeros(3, 2), LIFParameters(), backend="cuda")


@pytest.mark.parametrize("reset,detach_reset,decay_input", CONFIGS)
@pytest.mark.parametrize("backend", ["torch", "native"])
def test_constant_input_mode_equals_the_repeated_sequence(
    reset, detach_reset, decay_input, backend
):
    from snn_models.functional import native

    if backend == "native" and not native.is_available():
        pytest.skip("no C compiler")
    g = torch.Generator().manual_seed(3)
    step = (1.5 * torch.randn(3, 300, generator=g, dtype=torch.float64)).requires_grad_()
    v0 = torch.randn(3, 300, generator=g, dtype=torch.float64).requires_grad_()
    alpha = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    weights = torch.randn(8, 3, 300, generator=g, dtype=torch.float64)
    params = LIFParameters(
        alpha=alpha, reset=reset, detach_reset=detach_reset, decay_input=decay_input
    )
    constant = lif_scan(step, params, v0=v0, backend=backend, num_steps=8)
    repeated = lif_scan(step.unsqueeze(0).repeat(8, 1, 1), params, v0=v0, backend="torch")
    assert torch.equal(constant[0], repeated[0])
    torch.testing.assert_close(constant[1], repeated[1])
    for ours, theirs in zip(
        _grads(constant, (weights, 1.0), (step, alpha, v0)),
        _grads(repeated, (weights, 1.0), (step, alpha, v0)),
        strict=True,
    ):
        torch.testing.assert_close(ours, theirs)
    with pytest.raises(ValueError, match="num_steps"):
        lif_scan(step, params, num_steps=0)
