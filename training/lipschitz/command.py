"""`tinyctl train lipschitz --gamma G -o DIR`: a gamma-Lipschitz hover policy imitating the SE(3) expert.

Writes lipschitz.onnx (plain Gemm + Relu, input `observation` [1, 18] of the 'lipschitz' controller spec,
output `action` [1, 4]), training.json (losses, gamma, an empirical lower bound of the frozen network's constant,
closed-loop hover errors in the builtin simulator) and flights.png (those flights).
"""
import json

import numpy as np

from tinyctl.errors import TinyctlError
from tinyctl.training.yann import outputs

FILES = ("lipschitz.onnx", "training.json", "flights.png")


def closed_loop(policy, spec, starts=10, seconds=5.0, seed=7):
    """Hover flights from random starts in the builtin plant: (positions per flight, final errors)."""
    from tinyctl.scenarios.disturbances import RandomState
    from tinyctl.training.lipschitz.expert import HOME, fly, initial_state
    rng = np.random.default_rng(seed)
    spread = RandomState(position=0.5, velocity=0.5, tilt_deg=15.0, yaw_deg=45.0, angular_velocity=0.5)
    flights = [fly(policy, spec, initial_state(rng, spread), seconds=seconds) for _ in range(starts)]
    errors = [float(np.mean(np.linalg.norm(f[-100:] - np.asarray(HOME), axis=1))) for f in flights]
    return flights, errors


def run(args):
    import onnx
    import torch
    from rich.console import Console
    from rich.progress import Progress
    from tinyctl.controllers import LIPSCHITZ
    from tinyctl.training.lipschitz.empirical import lower_bound
    from tinyctl.training.lipschitz.expert import demonstrations
    from tinyctl.training.lipschitz.export import mlp_model
    from tinyctl.training.lipschitz.imitation import fit, motors_of
    from tinyctl.training.lipschitz.sandwich import frozen_forward
    if not args.gamma > 0:
        raise TinyctlError(f"--gamma {args.gamma}: the Lipschitz bound must be positive")
    try:
        hidden = [int(h) for h in args.hidden.split(",")]
    except ValueError:
        raise TinyctlError(f"--hidden {args.hidden}: give widths like 64,64") from None
    outputs.check(args.out, FILES, args.force)
    torch.set_num_threads(args.threads)
    console = Console(stderr=True)
    with Progress(console=console) as progress:
        task = progress.add_task(f"SE(3) expert: {args.episodes} demonstration flights in the builtin simulator")
        obs, act = demonstrations(LIPSCHITZ, episodes=args.episodes, seed=args.seed,
                                  progress=lambda k, n: progress.update(task, completed=k, total=n))
        task = progress.add_task(f"LBDN imitation, gamma {args.gamma:g}", total=args.epochs)
        net, figures = fit(obs, act, args.gamma, hidden=hidden, epochs=args.epochs, seed=args.seed,
                           progress=lambda e, loss: progress.update(task, completed=e))
    layers = net.freeze()
    policy = motors_of(layers)
    with console.status("closed-loop check and empirical Lipschitz bound"):
        flights, errors = closed_loop(policy, LIPSCHITZ)
        empirical = lower_bound(lambda x: frozen_forward(policy.layers, x), LIPSCHITZ.observation_size,
                                samples=2048, ascent_steps=150)
    model = mlp_model(layers, graph_name="lipschitz_policy",
                      metadata={"tinyctl.controller": "lipschitz", "tinyctl.lipschitz.gamma": args.gamma})
    summary = {"gamma": args.gamma, "hidden": hidden, "controller": "lipschitz", **figures,
               "empirical_lipschitz": empirical, "hover_errors_m": errors, "hover_error_mean_m": float(np.mean(errors)),
               "demonstrations": {"episodes": args.episodes, "samples": int(len(obs))}, "seed": args.seed}
    outputs.write(args.out, {"lipschitz.onnx": lambda p: onnx.save(model, p),
                             "training.json": lambda p: open(p, "w").write(json.dumps(summary, indent=2) + "\n"),
                             "flights.png": lambda p: _plot(flights, args.gamma, p)}, args.force)
    print(f"wrote {args.out}/lipschitz.onnx: gamma {args.gamma:g} LBDN {hidden}, validation MSE "
          f"{figures['validation_loss']:.4f}, empirical Lipschitz >= {empirical:.3f}, hover error "
          f"{np.mean(errors):.3f} m (mean over {len(errors)} flights, last second)")
    return 0


def _plot(flights, gamma, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(10, 3), sharex=True)
    t = np.arange(len(flights[0])) * 0.01
    for f in flights:
        for k, ax in enumerate(axes):
            ax.plot(t[:len(f)], f[:, k] - (1.0 if k == 2 else 0.0), lw=0.8)
    for k, ax in enumerate(axes):
        ax.set_title(f"{'xyz'[k]} error (m)")
        ax.set_xlabel("time (s)")
    fig.suptitle(f"LBDN policy (gamma {gamma:g}) hovering in the builtin simulator")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
