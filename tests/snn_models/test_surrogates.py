"""Surrogate gradients: correct derivatives, chosen by name, picklable."""

import pickle

import pytest
import torch

from snn_models import ATan, Sigmoid, Triangle, available_surrogates, get_surrogate

ALL = [ATan(2.0), Sigmoid(4.0), Triangle(1.0), ATan(5.0), Sigmoid(10.0), Triangle(2.5)]


@pytest.mark.parametrize("surrogate", ALL, ids=repr)
def test_derivative_is_the_derivative_of_the_primitive(surrogate):
    x = torch.linspace(-3, 3, 601, dtype=torch.float64, requires_grad=True)
    (autograd,) = torch.autograd.grad(surrogate.primitive(x).sum(), x)
    torch.testing.assert_close(surrogate.derivative(x.detach()), autograd)


@pytest.mark.parametrize("surrogate", ALL, ids=repr)
def test_primitive_is_a_smooth_step_from_zero_to_one(surrogate):
    far = torch.tensor([-1e4, 0.0, 1e4], dtype=torch.float64)
    values = surrogate.primitive(far)
    assert values[0] < 1e-3 and values[2] > 1 - 1e-3
    assert values[1] == pytest.approx(0.5)


@pytest.mark.parametrize("surrogate", ALL, ids=repr)
def test_spike_is_a_hard_step_whose_gradient_is_the_surrogate(surrogate):
    x = torch.tensor([-0.7, -0.1, 0.0, 0.2, 1.5], requires_grad=True)
    s = surrogate(x)
    assert s.tolist() == [0.0, 0.0, 1.0, 1.0, 1.0]
    s.sum().backward()
    torch.testing.assert_close(x.grad, surrogate.derivative(x.detach()))


def test_sharper_alpha_gives_a_narrower_taller_bump():
    for name in available_surrogates():
        wide, sharp = get_surrogate(name, alpha=1.0), get_surrogate(name, alpha=4.0)
        at_zero = torch.zeros(1)
        far = torch.full((1,), 0.9)
        assert sharp.derivative(at_zero) > wide.derivative(at_zero)
        assert sharp.derivative(far) < wide.derivative(far)


def test_registry_builds_by_name_with_parameters():
    assert set(available_surrogates()) >= {"atan", "sigmoid", "triangle"}
    assert get_surrogate("atan", alpha=3.0) == ATan(3.0)
    assert get_surrogate("SIGMOID") == Sigmoid()
    instance = Triangle(0.5)
    assert get_surrogate(instance) is instance
    with pytest.raises(ValueError, match="unknown surrogate"):
        get_surrogate("relu")


@pytest.mark.parametrize("surrogate", ALL, ids=repr)
def test_surrogates_pickle(surrogate):
    clone = pickle.loads(pickle.dumps(surrogate))
    assert clone == surrogate
    x = torch.linspace(-2, 2, 11)
    torch.testing.assert_close(clone.derivative(x), surrogate.derivative(x))
