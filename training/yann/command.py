"""`tinyctl train yann`: an explicit MPC law as a YANN (ONNX, law.npz, yann.json), and with --rl, YANN-RL.

    tinyctl train yann -o build/di3                             # double integrator, horizon 3
    tinyctl train yann --problem pendulum --horizon 2 --rl -o build/pendulum
The --rl run writes yann_rl.json (learning curves of YANN-RL and, unless --no-baseline, of plain DDPG) and
learning_curves.png: mean test cost (200-step episodes from 32 fixed start states) against environment steps.
"""
import json

import numpy as np

from tinyctl.errors import TinyctlError
from tinyctl.training.yann import outputs

PROBLEMS = ("double-integrator", "pendulum")


def explicit(problem, horizon):
    from tinyctl.training.yann import pendulum, problems
    from tinyctl.training.yann.mpc import explicit_law
    if problem not in PROBLEMS:
        raise TinyctlError(f"unknown problem '{problem}': choose one of {', '.join(PROBLEMS)}")
    mpc = problems.double_integrator(horizon) if problem == "double-integrator" else pendulum.mpc(horizon)
    law, _ = explicit_law(mpc)
    return mpc, law


def run(args):
    import onnx
    from rich.console import Console
    from tinyctl.training.yann.export import yann_model
    console = Console(stderr=True)
    horizon = args.horizon or (2 if args.problem == "pendulum" else 3)
    if args.rl and args.problem != "pendulum":
        raise TinyctlError("--rl runs on --problem pendulum (the YANN-RL paper's pendulum)")
    outputs.check(args.out, ["law.npz", "yann.json"], args.force)
    with console.status(f"solving the explicit MPC of {args.problem}, horizon {horizon} (PPOPT, GLPK + DAQP)"):
        mpc, law = explicit(args.problem, horizon)
    p, q, m, n = law.sizes
    model = yann_model(law, metadata={"problem": args.problem, "horizon": horizon})
    summary = {"problem": args.problem, "horizon": horizon, "regions": p, "halfspaces": q, "inputs": n, "outputs": m,
               "solve_seconds": law.meta["solve_seconds"], "algorithm": law.meta["algorithm"],
               "solvers": law.meta["solvers"], "tolerance": law.tolerance, "onnx": f"{law.name}.onnx",
               "domain": {"lo": law.lo.tolist(), "hi": law.hi.tolist()}}
    writers = {f"{law.name}.onnx": lambda path: onnx.save(model, path), "law.npz": law.save}
    if args.rl:
        summary["rl"] = _rl(law, args, console)
        writers["learning_curves.png"] = lambda path: _plot(summary["rl"], path)
    writers["yann.json"] = lambda path: open(path, "w").write(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    outputs.write(args.out, writers, args.force)
    print(f"wrote {args.out}/{law.name}.onnx: YANN of the {args.problem} MPC (horizon {horizon}), {p} regions, "
          f"{q} half-spaces, solved in {law.meta['solve_seconds']:.2f} s")
    if args.rl:
        rl = summary["rl"]
        print(f"YANN-RL: mean test cost {rl['yann_rl']['curve'][0][1]:.1f} (the MPC law) -> "
              f"{rl['yann_rl']['final']:.1f}" + (f"; DDPG {rl['ddpg']['curve'][0][1]:.1f} -> {rl['ddpg']['final']:.1f}"
                                                 if "ddpg" in rl else "") + f"; curves in {args.out}/learning_curves.png")
    return 0


def _rl(law, args, console):
    import torch
    from rich.progress import Progress
    from tinyctl.training.yann import pendulum as env
    from tinyctl.training.yann.rl import DDPGConfig, LqrCritic, MlpCritic, YannActor, ddpg, mlp
    torch.set_num_threads(args.threads)
    a, b = env.linear_model()
    runs = {}
    actor = YannActor(law)
    critic = LqrCritic(a, b, np.diag(env.Q), np.array([[env.R]]), 0.99)
    config = DDPGConfig(rounds=args.rounds, seed=args.seed, warmup_critic=400, actor_lr=3e-5, keep_best=True,
                        updates_per_step=2)
    plans = [("yann_rl", actor, critic, config)]
    if not args.no_baseline:
        plans.append(("ddpg", _ScaledTanh(mlp(2, (64, 64), 1, out=torch.nn.Tanh()), env.MAX_TORQUE), MlpCritic(2, 1),
                      DDPGConfig(rounds=args.rounds, seed=args.seed, noise=0.4, actor_lr=1e-4, updates_per_step=2)))
    with Progress(console=console) as progress:
        for label, act, crit, cfg in plans:
            task = progress.add_task(f"{label}: {cfg.rounds} rounds of {cfg.envs} episodes", total=cfg.rounds)
            curve, seconds = ddpg(env, act, crit, cfg, progress=lambda r, c: progress.update(task, completed=r))
            runs[label] = {"curve": [list(p) for p in curve], "seconds": seconds, "final": curve[-1][2],
                           "parameters": sum(p.numel() for p in act.parameters()) +
                           sum(p.numel() for p in crit.parameters()),
                           "config": {k: v for k, v in vars(cfg).items() if k != "meta"}}
    return runs


class _ScaledTanh:
    """Wraps an MLP ending in tanh to the torque range (a module the DDPG loop can copy and train)."""

    def __new__(cls, net, limit):
        import torch

        class Scaled(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.net = net

            def forward(self, x):
                return limit * self.net(x)
        return Scaled()


def _plot(rl, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4))
    styles = {"yann_rl": ("YANN-RL (starts from the MPC law)", "C0"), "ddpg": ("DDPG (random start, noise)", "C1")}
    for label, run in rl.items():
        steps = [p[0] for p in run["curve"]]
        name, color = styles[label]
        ax.plot(steps, [p[1] for p in run["curve"]], color=color, alpha=0.35, marker=".", label=f"{name}: each round")
        ax.plot(steps, [p[2] for p in run["curve"]], color=color, label=f"{name}: policy kept")
    ax.axhline(rl["yann_rl"]["curve"][0][1], color="gray", ls="--", lw=1, label="explicit MPC law")
    ax.set_yscale("log")
    ax.set_xlabel("environment steps")
    ax.set_ylabel("mean test cost (200-step episodes)")
    ax.set_title("Pendulum: YANN-RL vs DDPG")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
