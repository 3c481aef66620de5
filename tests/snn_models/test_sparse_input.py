"""Dense synapses fed wide, mostly-zero rows in sparse form compute what the dense rows give."""

import pytest
import torch

from snn_models import make_synapse


def _sparse_rows(seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    dense = torch.rand(6, 40, generator=generator)
    return dense * (torch.rand(6, 40, generator=generator) < 0.1)  # about 4 inputs per row


@pytest.mark.parametrize("kind", ["linear", "bilinear"])
@pytest.mark.parametrize("layout", [torch.sparse_csr, torch.sparse_coo])
def test_a_sparse_batch_gives_the_dense_batchs_current_and_weight_gradient(kind, layout):
    torch.manual_seed(0)
    synapse = make_synapse(kind, 40, 5, **({"rank": 2} if kind == "bilinear" else {}))
    dense = _sparse_rows(1)
    sparse = dense.to_sparse_csr() if layout == torch.sparse_csr else dense.to_sparse()

    expected = synapse.integrate(dense)
    expected.square().sum().backward()
    expected_grads = [p.grad.clone() for p in synapse.parameters()]
    synapse.zero_grad()
    current = synapse.integrate(sparse)
    current.square().sum().backward()

    torch.testing.assert_close(current, expected)
    for parameter, grad in zip(synapse.parameters(), expected_grads, strict=True):
        torch.testing.assert_close(parameter.grad, grad)
    assert expected.abs().sum() > 0  # the rows reach the neurons: not a test of zeros
