"""The LIF module computes what it computed before its settings became one LIFParameters bundle
and its steps overridable hooks.

``data/lif_before_refactor.json`` was written by the code before that change (commit 6905ca0)
for every reset / decay_input / detach_reset / surrogate / backend combination, with a
learnable decay: spikes, the input's gradient and the decay logit's gradient.
"""

import json
from pathlib import Path

import pytest
import torch

from snn_models import LIF, SpikingNeuron, streaming
from snn_models.functional import native

GOLDEN = json.loads((Path(__file__).parent / "data" / "lif_before_refactor.json").read_text())
INPUT = torch.tensor(GOLDEN["input"], dtype=torch.float64)
WEIGHTS = torch.linspace(-1.0, 1.0, INPUT.numel(), dtype=torch.float64).reshape(INPUT.shape)


def _neuron(case):
    return LIF(
        tau=3.0,
        threshold=0.7,
        reset=case["reset"],
        surrogate=case["surrogate"],
        learn_tau=True,
        decay_input=case["decay_input"],
        detach_reset=case["detach_reset"],
        backend=case["backend"],
    ).double()


def _check(case, run):
    neuron = _neuron(case)
    x = INPUT.clone().requires_grad_()
    spikes = run(neuron, x)
    (spikes * WEIGHTS).sum().backward()
    assert spikes.flatten().tolist() == case["spikes"]
    expected_grad = torch.tensor(case["grad_input"], dtype=torch.float64).reshape(x.shape)
    torch.testing.assert_close(x.grad, expected_grad, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(
        neuron.decay.logit.grad, torch.tensor(case["grad_logit"], dtype=torch.float64)
    )


def _ids(case):
    keys = ("backend", "reset", "decay_input", "detach_reset", "surrogate")
    return "-".join(str(case[k]) for k in keys)


NATIVE_CASES = [c for c in GOLDEN["cases"] if c["backend"] == "native"]


@pytest.mark.parametrize("case", NATIVE_CASES, ids=_ids)
@pytest.mark.parametrize("backend", ["native", "torch"])
def test_the_fused_scan_matches_the_code_before_the_refactor(case, backend):
    """Both kernels give the old kernel's values. (The old torch loop itself was off by ~1e-8
    in float64 after a subtractive reset: it subtracted a float32 threshold.)"""
    if backend == "native" and not native.is_available():
        pytest.skip("no C compiler")
    _check({**case, "backend": backend}, lambda neuron, x: neuron(x))


@pytest.mark.parametrize("case", NATIVE_CASES, ids=_ids)
def test_the_hooks_and_single_steps_match_the_code_before_the_refactor(case):
    """The reference loop and single steps give what the old kernel gave, to rounding."""

    def reference_loop(neuron, x):
        spikes, _ = SpikingNeuron.scan(neuron, x, None, neuron.neuron_parameters())
        return spikes

    def single_steps(neuron, x):
        with streaming(neuron):
            return torch.stack([neuron(x_t) for x_t in x])

    _check(case, reference_loop)
    _check(case, single_steps)
