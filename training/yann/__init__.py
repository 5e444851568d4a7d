"""YANNs: exact network forms of explicit MPC laws (PPOPT, licence-free), their ONNX export, and YANN-RL.

mpc.py (linear MPC -> mpQP -> PPOPT regions), law.py (the piecewise-affine law), network.py (the YANN as a
PyTorch module), export.py (ONNX), problems.py (the benchmark MPCs), pendulum.py and rl.py (YANN-RL).
"""
