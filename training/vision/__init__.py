"""Vision benchmarks for the shared spiking-neuron code.

Trains small spiking networks (FCN, CNN, VGG-like) on Fashion-MNIST, MNIST and scikit-learn
digits, with the synaptic integration (linear, bilinear, shunting) and the learning rule (BPTT,
local hybrid loss, HSIC bottleneck) chosen by flags, and measures robustness to input noise.
Everything spiking comes from `snn_models`; this package only wires it to image data.
"""
