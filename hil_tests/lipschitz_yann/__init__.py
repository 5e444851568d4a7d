"""Lipschitz-bounded policies and YANNs end to end: the gamma study, the explicit-MPC benchmark, their bench sections."""
