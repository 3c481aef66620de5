"""The compiled LIF kernel agrees with the torch loop, and its absence is harmless."""

import itertools
import warnings

import pytest
import torch

from snn_models import LIF, ATan, LIFParameters, Sigmoid, Triangle, lif_scan
from snn_models.functional import native

needs_kernel = pytest.mark.skipif(not native.is_available(), reason="no C compiler")

CASES = list(
    itertools.product(
        ["subtract", "zero"], [False, True], [False, True], [ATan(2.0), Sigmoid(4.0), Triangle(1.0)]
    )
)


@needs_kernel
@pytest.mark.parametrize("reset,detach_reset,decay_input,surrogate", CASES)
def test_native_matches_torch_backend(reset, detach_reset, decay_input, surrogate):
    g = torch.Generator().manual_seed(0)
    x = (1.5 * torch.randn(9, 4, 600, generator=g, dtype=torch.float64)).requires_grad_()
    v0 = torch.randn(4, 600, generator=g, dtype=torch.float64).requires_grad_()
    alpha = torch.tensor(0.6, dtype=torch.float64, requires_grad=True)
    weights = torch.randn(9, 4, 600, generator=g, dtype=torch.float64)
    params = LIFParameters(alpha, 1.0, reset, surrogate, decay_input, detach_reset)
    results = []
    for backend in ("native", "torch"):
        spikes, v_last = lif_scan(x, params, v0=v0, backend=backend)
        grads = torch.autograd.grad((spikes * weights).sum() + v_last.sum(), (x, alpha, v0))
        results.append((spikes, v_last, grads))
    (s1, v1, g1), (s2, v2, g2) = results
    assert torch.equal(s1, s2)
    torch.testing.assert_close(v1, v2)
    for a, b in zip(g1, g2, strict=True):
        torch.testing.assert_close(a, b)


@needs_kernel
def test_native_float32_with_repeated_input_and_no_spike_gradient():
    x = torch.rand(64, 300, requires_grad=True)
    outs = [
        lif_scan((3 * x).unsqueeze(0).expand(12, 64, 300), LIFParameters(alpha=0.7), backend=b)
        for b in ("native", "torch")
    ]
    assert torch.equal(outs[0][0], outs[1][0])
    grads = [torch.autograd.grad(v.square().sum(), x)[0] for _, v in outs]  # only v_last used
    torch.testing.assert_close(grads[0], grads[1])


@needs_kernel
def test_lif_module_uses_the_kernel_by_default_on_cpu():
    x = torch.rand(5, 3, 7) * 3
    spikes = LIF()(x.requires_grad_())
    assert type(spikes.grad_fn).__name__ == "_LIFScanBackward"
    assert torch.equal(spikes, LIF(backend="torch")(x))


def test_forcing_the_kernel_where_it_does_not_apply_raises():
    per_neuron_decay = LIFParameters(alpha=torch.full((7,), 0.5))
    with pytest.raises(RuntimeError, match="native LIF kernel"):
        lif_scan(torch.rand(5, 3, 7), per_neuron_decay, backend="native")
    with pytest.raises(RuntimeError, match="native LIF kernel"):
        lif_scan(torch.rand(5, 3, 7), LIFParameters(), backend="native", smooth=True)
    # "auto" quietly takes the torch loop instead
    spikes, _ = lif_scan(torch.rand(5, 3, 7) * 3, per_neuron_decay)
    assert spikes.shape == (5, 3, 7)


@pytest.fixture
def fresh_loader(monkeypatch, tmp_path):
    """Forget any loaded kernel so the next call builds (or refuses) again."""
    monkeypatch.setattr(native, "_loaded", False)
    monkeypatch.setattr(native, "_library", None)
    monkeypatch.setattr(native, "_failure", None)
    monkeypatch.setenv("SPIKELENS_CACHE_DIR", str(tmp_path))
    return tmp_path


def test_disabling_the_kernel_falls_back_to_torch(fresh_loader, monkeypatch):
    monkeypatch.setenv("SPIKELENS_NATIVE", "0")
    assert not native.is_available()
    assert "SPIKELENS_NATIVE" in native.unavailable_reason()
    x = torch.rand(6, 2, 5) * 3
    assert torch.equal(LIF()(x), LIF(backend="torch")(x))


def test_a_failing_compiler_falls_back_with_a_warning(fresh_loader, monkeypatch):
    monkeypatch.setenv("CC", "false")
    with pytest.warns(RuntimeWarning, match="native LIF kernel unavailable"):
        assert not native.is_available()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        spikes, _ = lif_scan(torch.rand(4, 2, 3) * 3, LIFParameters())  # no second warning
    assert spikes.shape == (4, 2, 3)


@needs_kernel
def test_the_kernel_is_built_once_into_the_cache(fresh_loader):
    assert native.is_available()
    built = list(fresh_loader.glob("native/lif_kernel_*.so"))
    assert len(built) == 1
    stamp = built[0].stat().st_mtime_ns
    native._loaded = False
    assert native.is_available()
    assert built[0].stat().st_mtime_ns == stamp


@needs_kernel
def test_threads_split_neurons_without_changing_results(monkeypatch):
    x = (2 * torch.randn(20, 64, 600)).requires_grad_()  # large enough to run in parallel
    weights = torch.randn(20, 64, 600)
    results = []
    for threads in (1, 3):
        monkeypatch.setattr(native.torch, "get_num_threads", lambda n=threads: n)
        spikes, _ = lif_scan(x, LIFParameters(alpha=0.5), backend="native")
        (grad,) = torch.autograd.grad((spikes * weights).sum(), x)
        results.append((spikes, grad))
    assert torch.equal(results[0][0], results[1][0])
    assert torch.equal(results[0][1], results[1][1])


@needs_kernel
def test_native_keeps_only_the_input_current_for_backward():
    """A direct-input layer keeps (B, N) for backward, not (T, B, N)."""
    x = torch.rand(4, 8, requires_grad=True)
    repeated = (3 * x).unsqueeze(0).expand(20, 4, 8)
    spikes, _ = lif_scan(repeated, LIFParameters(alpha=0.5), backend="native")
    saved = [t for t in spikes.grad_fn.saved_tensors if t is not None]
    assert max(t.untyped_storage().nbytes() for t in saved) == x.numel() * x.element_size()
