"""The Lee et al. (2016) neurons are SpikingNeurons: their charge/fire/reset steps are what runs."""

import torch

from snn_models import SpikingNeuron, streaming
from snn_models.plasticity import MembraneBPTTLIF, RefractoryState, WTANeurons, simulate_layer


def test_the_wta_layer_fed_step_by_step_gives_the_whole_sequence():
    torch.manual_seed(0)
    current = torch.rand(6, 3, 5) * 2.0
    threshold = torch.rand(5) + 0.5
    whole, v_last = simulate_layer(current, threshold, inhibition=0.4, t_ref=2.0, decay=0.9)
    layer = WTANeurons(inhibition=0.4, t_ref=2.0, decay=0.9, threshold=threshold)
    assert isinstance(layer, SpikingNeuron)
    with streaming(layer):
        steps = torch.stack([layer(x) for x in current])
        torch.testing.assert_close(layer.v.v, v_last)
    torch.testing.assert_close(steps, whole)
    assert whole.sum() > 0 and (whole.sum(-1) <= 5).all()


class NoInhibitionReset(MembraneBPTTLIF):
    """A variant that overrides one step only: the reset, without lateral inhibition."""

    def neuronal_reset(self, u: RefractoryState, spikes, params) -> RefractoryState:
        return RefractoryState(u.v - (spikes * params).detach(), u.since)


def test_a_membrane_bptt_variant_is_one_overridden_step():
    torch.manual_seed(0)
    current = torch.rand(8, 4, 6) * 1.5
    paper = MembraneBPTTLIF(6, inhibition=2.0)
    variant = NoInhibitionReset(6, inhibition=2.0)
    assert isinstance(paper, SpikingNeuron)
    assert paper(current).sum() < variant(current).sum()  # inhibition removed, more spikes
    plain = MembraneBPTTLIF(6, inhibition=0.0)
    torch.testing.assert_close(variant(current), plain(current))
