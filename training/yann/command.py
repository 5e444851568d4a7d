"""`tinyctl train yann`: an explicit MPC law as a YANN (ONNX, law.npz, yann.json), and with --rl, YANN-RL.

    tinyctl train yann -o build/di3                             # double integrator, horizon 3
    tinyctl train yann --problem pendulum --horizon 2 --rl -o build/pendulum
    tinyctl train yann --problem quadrotor-altitude --rl -o build/alt   # the builtin quadrotor's altitude loop
The --rl run adds to yann.json the learning curves of YANN-RL and, unless --no-baseline, of plain DDPG (mean test
cost of fixed start states against environment steps), plots them to learning_curves.png, and exports the
trained actor (the YANN plus its branches) to yann_rl.onnx: the same input and outputs as the law's ONNX, so the
same controller spec runs either (for the altitude loop: tinyctl build --mode law --controller altitude-law).
"""
import json

from tinyctl.errors import TinyctlError
from tinyctl.training.yann import outputs

PROBLEMS = ("double-integrator", "pendulum", "quadrotor-altitude")
HORIZONS = {"double-integrator": 3, "pendulum": 2, "quadrotor-altitude": 4}
RL_PROBLEMS = ("pendulum", "quadrotor-altitude")


def environment(problem):
    """The RL environment module of a problem (step, observe, starts, action box, RL_SETTINGS)."""
    if problem == "pendulum":
        from tinyctl.training.yann import pendulum
        return pendulum
    from tinyctl.training.yann import altitude_env
    return altitude_env


def explicit(problem, horizon):
    from tinyctl.training.yann import problems
    from tinyctl.training.yann.mpc import explicit_law
    if problem not in PROBLEMS:
        raise TinyctlError(f"unknown problem '{problem}': choose one of {', '.join(PROBLEMS)}")
    build = problems.double_integrator if problem == "double-integrator" else environment(problem).mpc
    mpc = build(horizon)
    law, _ = explicit_law(mpc)
    return mpc, law


def run(args):
    import onnx
    from rich.console import Console
    from tinyctl.training.yann.export import yann_model
    console = Console(stderr=True)
    horizon = args.horizon or HORIZONS.get(args.problem, 3)
    if args.rl and args.problem not in RL_PROBLEMS:
        raise TinyctlError(f"--rl runs on --problem {' or '.join(RL_PROBLEMS)} (an environment to learn in)")
    if args.rl and args.rounds < 1:
        raise TinyctlError(f"--rounds {args.rounds}: give at least one round")
    outputs.check(args.out, ["law.npz", "yann.json"] + (["yann_rl.onnx", "learning_curves.png"] if args.rl else []),
                  args.force)
    with console.status(f"solving the explicit MPC of {args.problem}, horizon {horizon} (PPOPT, GLPK + DAQP)"):
        mpc, law = explicit(args.problem, horizon)
    p, q, m, n = law.sizes
    meta = {"problem": args.problem, "horizon": horizon}
    model = yann_model(law, metadata=meta)
    summary = {"problem": args.problem, "horizon": horizon, "regions": p, "halfspaces": q, "inputs": n, "outputs": m,
               "solve_seconds": law.meta["solve_seconds"], "algorithm": law.meta["algorithm"],
               "solvers": law.meta["solvers"], "tolerance": law.tolerance, "onnx": f"{law.name}.onnx",
               "domain": {"lo": law.lo.tolist(), "hi": law.hi.tolist()}}
    writers = {f"{law.name}.onnx": lambda path: onnx.save(model, path), "law.npz": law.save}
    if args.rl:
        from tinyctl.training.yann.export import yann_rl_model
        summary["rl"], actor = _rl(mpc, law, args, console)
        writers["learning_curves.png"] = lambda path: _plot(summary["rl"], path, args.problem)
        writers["yann_rl.onnx"] = lambda path: onnx.save(yann_rl_model(actor, metadata=meta), path)
    writers["yann.json"] = lambda path: open(path, "w").write(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    outputs.write(args.out, writers, args.force)
    print(f"wrote {args.out}/{law.name}.onnx: YANN of the {args.problem} MPC (horizon {horizon}), {p} regions, "
          f"{q} half-spaces, solved in {law.meta['solve_seconds']:.2f} s")
    if args.rl:
        rl = summary["rl"]
        print(f"YANN-RL: mean test cost {rl['yann_rl']['curve'][0][1]:.1f} (the MPC law) -> "
              f"{rl['yann_rl']['final']:.1f}" + (f"; DDPG {rl['ddpg']['curve'][0][1]:.1f} -> {rl['ddpg']['final']:.1f}"
                                                 if "ddpg" in rl else "") + f"; curves in {args.out}/learning_curves.png"
              f", the trained actor in {args.out}/yann_rl.onnx")
    return 0


def _rl(mpc, law, args, console):
    """({method: run}, the trained YANN-RL actor): YANN-RL from the law and, unless args.no_baseline, plain DDPG."""
    import torch
    from rich.progress import Progress
    from tinyctl.training.yann.rl import DDPGConfig, LqrCritic, MlpCritic, YannActor, ddpg, mlp
    env = environment(args.problem)
    settings = env.RL_SETTINGS
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)            # the branches' hidden layers start random (their outputs at zero)
    actor = YannActor(law, hidden=settings["hidden"])
    critic = LqrCritic(mpc.a, mpc.b, mpc.q, mpc.r, 0.99)
    config = DDPGConfig(rounds=args.rounds, seed=args.seed, warmup_critic=settings["warmup_critic"],
                        actor_lr=settings["actor_lr"], keep_best=True, updates_per_step=settings["updates_per_step"])
    n = law.sizes[3]
    plans = [("yann_rl", actor, critic, config)]
    if not args.no_baseline:
        plans.append(("ddpg", _ScaledTanh(mlp(n, (64, 64), 1, out=torch.nn.Tanh()), env.ACTION_LOW, env.ACTION_HIGH),
                      MlpCritic(n, 1), DDPGConfig(rounds=args.rounds, seed=args.seed, noise=settings["baseline_noise"],
                                                  actor_lr=1e-4, updates_per_step=settings["updates_per_step"])))
    runs = {}
    with Progress(console=console) as progress:
        for label, act, crit, cfg in plans:
            task = progress.add_task(f"{label}: {cfg.rounds} rounds of {cfg.envs} episodes", total=cfg.rounds)
            curve, seconds = ddpg(env, act, crit, cfg, progress=lambda r, c: progress.update(task, completed=r))
            runs[label] = {"curve": [list(p) for p in curve], "seconds": seconds, "final": curve[-1][2],
                           "parameters": sum(p.numel() for p in act.parameters()) +
                           sum(p.numel() for p in crit.parameters()),
                           "config": {k: v for k, v in vars(cfg).items() if k != "meta"}}
    runs["yann_rl"]["split"] = _split(env, law, actor, config.test_starts)
    return runs, actor


def _split(env, law, actor, count):
    """Mean test cost of the law and of the trained actor, apart for the test flights the law keeps inside the
    MPC's feasible set and those where it leaves it (the law then answers u = 0, and YANN-RL's 'outside' branch
    is all that acts)."""
    import torch
    from tinyctl.training.yann.network import YANN
    from tinyctl.training.yann.rl import rollout_cost, test_starts
    starts = test_starts(env, count)
    law_net = YANN(law)
    x, before, left = starts.clone(), torch.zeros(count, dtype=starts.dtype), torch.zeros(count, dtype=torch.bool)
    with torch.no_grad():
        for _ in range(env.EPISODE_STEPS):
            u, inside = law_net(env.observe(x))
            left |= inside[:, 0] < 0.5
            x, cost = env.step(x, u)
            before += cost
        after = rollout_cost(env, actor, starts)
    out = {}
    for key, mask in (("stays_inside", ~left), ("leaves", left)):
        if bool(mask.any()):
            out[key] = {"flights": int(mask.sum()), "law": float(before[mask].mean()),
                        "yann_rl": float(after[mask].mean())}
    return out


class _ScaledTanh:
    """Wraps an MLP ending in tanh to the action box (a module the DDPG loop can copy and train)."""

    def __new__(cls, net, low, high):
        import torch

        class Scaled(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.net = net

            def forward(self, x):
                return low + (self.net(x) + 1.0) * (0.5 * (high - low))
        return Scaled()


TITLES = {"pendulum": "Pendulum", "quadrotor-altitude": "Quadrotor altitude loop (builtin simulator)"}


def _plot(rl, path, problem="pendulum"):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4))
    styles = {"yann_rl": ("YANN-RL (starts from the MPC law)", "C0"), "ddpg": ("DDPG (random start, noise)", "C1")}
    for label in ("yann_rl", "ddpg"):
        if label not in rl:
            continue
        run = rl[label]
        steps = [p[0] for p in run["curve"]]
        name, color = styles[label]
        ax.plot(steps, [p[1] for p in run["curve"]], color=color, alpha=0.35, marker=".", label=f"{name}: each round")
        ax.plot(steps, [p[2] for p in run["curve"]], color=color, label=f"{name}: policy kept")
    ax.axhline(rl["yann_rl"]["curve"][0][1], color="gray", ls="--", lw=1, label="explicit MPC law")
    ax.set_yscale("log")
    ax.set_xlabel("environment steps")
    ax.set_ylabel("mean test cost per episode")
    ax.set_title(f"{TITLES.get(problem, problem)}: YANN-RL vs DDPG")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
