"""Lipschitz-bounded policies: LBDN Sandwich layers with the bound gamma as the knob, freezing to plain
Linear+ReLU, imitation from expert demonstrations, ONNX export, and empirical lower bounds to check certificates.
"""
