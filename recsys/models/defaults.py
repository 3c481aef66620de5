"""The ranker's default settings, defined once.

``TowerConfig``, ``RankerConfig`` and ``FitConfig`` — the parts of the one run configuration,
:class:`recsys.models.config.TrainConfig` — take their defaults from here, so a tower or a fit
built without naming a setting gets the served model's value, never a second opinion. Every
value was chosen on the validation split (docs/recsys.md, *Training*).
"""

from snn_models.functional.lif_parameters import DEFAULT_TAU, DEFAULT_THRESHOLD

# Shape.
DIM = 64  # embedding width of each member
HIDDEN = 512  # LIF neurons per tower block
MEMBERS = 3  # tower pairs in the committee
RANK = 1  # rank of the bilinear interaction per neuron
LAMBDA_INIT = 1.0  # initial bilinear gain λ
# Neurons. A short time constant with reset by subtraction gives a well-behaved rate code
# for a constant input current over a short window: the library's LIF defaults, read from
# where they are declared.
NUM_STEPS = 4
TAU = DEFAULT_TAU
THRESHOLD = DEFAULT_THRESHOLD
BIAS_INIT = 0.0
INPUT_WEIGHT_SCALE = 0.07
HIDDEN_WEIGHT_GAIN = 2.0
# Training.
EPOCHS = 20
BATCH_SIZE = 64
LR = 3e-3
WEIGHT_DECAY = 0.003
BAG_DROPOUT = 0.5
HISTORY_DROPOUT = 0.05
ITEM_ID_DROPOUT = 0.05
PROFILE_DROPOUT = 0.2
LOSS = "squared"
NEGATIVE_WEIGHT = 1.0
# A training step scores the whole catalogue up to FULL_CATALOGUE_UP_TO movies; above it, the
# batch's rated movies plus ITEM_SAMPLE uniformly drawn ones, with weights that keep the
# squared loss unbiased (recsys.models.batches.CatalogueSample). MovieLens-100K/1M are below.
FULL_CATALOGUE_UP_TO = 8192
ITEM_SAMPLE = 4096
# The co-rating readout beside the towers.
CORATING_GAIN = 1.5
CORATING_L2 = 300.0
# Above CORATING_DENSE_UP_TO movies each readout neuron keeps synapses from its
# CORATING_NEIGHBOURS most co-rated movies (CSR); up to it, from every movie (the exact dense
# solution, 11 MB at MovieLens-100K). Chosen on the validation split (docs/benchmarks.md §2.0).
CORATING_NEIGHBOURS = 200
CORATING_DENSE_UP_TO = 8192
