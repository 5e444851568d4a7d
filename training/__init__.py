"""Training: batched PyTorch dynamics, teachers, meta-imitation, LBDN, YANN, dynamics models, ONNX export.

Upstream of everything: it produces ONNX and never imports the compiler. torch is imported by the modules
that need it, so the exporters of published checkpoints work on a plain install.
"""
