"""Learning systems beyond surrogate BPTT and local losses.

* :mod:`~snn_models.plasticity.lee2016`: Lee, Delbruck & Pfeiffer (2016): back-propagation
  through the membrane potential, winner-take-all, threshold and exponential weight
  regularisation, dynamic-weight refractory period.
* :mod:`~snn_models.plasticity.stdp`: pair-based and soft-bounded STDP on spike trains.
* :mod:`~snn_models.plasticity.equilibrium`: the plasticity-centric, back-propagation-free
  network of Zhang et al. (AAAI 2018): competitive STDP hidden layer, teacher-driven output.
"""

from snn_models.plasticity.equilibrium import (
    CompetitiveSTDPLayer,
    TeacherOutputLayer,
    teacher_potentials,
)
from snn_models.plasticity.lee2016 import (
    LeeLIF,
    exponential_weight_penalty,
    membrane_spike,
    threshold_update,
)
from snn_models.plasticity.stdp import exponential_trace, stdp_update, trace_stdp_update
from snn_models.plasticity.wta import k_winners

__all__ = [
    "CompetitiveSTDPLayer",
    "LeeLIF",
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
