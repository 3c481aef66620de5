"""Learning systems beyond surrogate BPTT and local losses.

* :mod:`~snn_models.plasticity.membrane_bptt`: our surrogate-BPTT variant with mechanisms
  borrowed from Lee, Delbruck & Pfeiffer (2016): membrane pass-through gradient, top-k
  winner-take-all, threshold and exponential weight regularisation, refractory scaling.
* :mod:`~snn_models.plasticity.stdp`: pair-based and soft-bounded STDP on spike trains.
* :mod:`~snn_models.plasticity.lee2016`: Lee, Delbruck & Pfeiffer (2016) as the paper defines
  it: back-propagation through time-aggregated activity with its WTA factor, learned and
  regularised thresholds, lateral inhibition, refractory weights, the exponential weight penalty.
* :mod:`~snn_models.plasticity.equilibrium`: the plasticity-centric network of Zhang et al.
  (AAAI 2018): equilibrium-state potential dynamics, a teacher, differential STDP everywhere.
* :mod:`~snn_models.plasticity.competitive`: our back-propagation-free network (competitive
  STDP hidden layer, teacher-driven delta-rule output).
"""

from snn_models.plasticity.competitive import (
    CompetitiveSTDPLayer,
    KWinnersLIF,
    KWinnersParameters,
    TeacherOutputLayer,
    teacher_potentials,
)
from snn_models.plasticity.equilibrium import (
    PlasticityCentricNetwork,
    differential_stdp,
    energy,
    energy_gradient,
    equilibrium_step,
)
from snn_models.plasticity.lee2016 import (
    Lee2016Network,
    PoissonEvents,
    WTANeurons,
    aggregate_gain,
    backward_errors,
    count_loss,
    refractory_weight,
    regularise_thresholds,
    simulate_layer,
    weight_penalty_grad,
)
from snn_models.plasticity.membrane_bptt import (
    MembraneBPTTLIF,
    RefractoryState,
    exponential_weight_penalty,
    membrane_spike,
    threshold_update,
)
from snn_models.plasticity.stdp import exponential_trace, stdp_update, trace_stdp_update
from snn_models.plasticity.wta import k_winners

__all__ = [
    "Lee2016Network",
    "PoissonEvents",
    "RefractoryState",
    "WTANeurons",
    "aggregate_gain",
    "backward_errors",
    "count_loss",
    "refractory_weight",
    "regularise_thresholds",
    "simulate_layer",
    "weight_penalty_grad",
    "PlasticityCentricNetwork",
    "differential_stdp",
    "energy",
    "energy_gradient",
    "equilibrium_step",
    "CompetitiveSTDPLayer",
    "KWinnersLIF",
    "KWinnersParameters",
    "MembraneBPTTLIF",
    "TeacherOutputLayer",
    "exponential_trace",
    "exponential_weight_penalty",
    "k_winners",
    "membrane_spike",
    "stdp_update",
    "teacher_potentials",
    "threshold_update",
    "trace_stdp_update",
]
