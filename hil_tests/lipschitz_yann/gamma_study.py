"""The gamma study: what the Lipschitz bound buys and costs in closed loop, in the builtin simulator.

For each gamma an LBDN policy imitates the same SE(3) expert demonstrations; each one is compiled with
--lipschitz (the certified bound of the emitted weights), probed for an empirical lower bound, and flown from
the same random starts twice: as measured, and with a worst-case bounded measurement perturbation, where every
step the observation moves by delta, ||delta||_2 = eps, along the direction that moves the action most (the top
right singular vector of the policy's Jacobian there, with the sign that pushes the same way as the step
before). The paper's trade-off: a small gamma imitates worse (nominal error up), a large gamma lets the
perturbation through (the action moves by up to gamma eps, and the attacked error grows with it).
"""
import numpy as np
import torch


def worst_case_perturbation(layers, eps):
    """A perturb(observation) for fly(): first-order worst case of norm eps for the frozen policy."""
    from tinyctl.training.lipschitz.sandwich import frozen_forward
    last = {"direction": None}

    def perturb(o):
        x = torch.as_tensor(np.asarray(o, np.float64))
        jac = torch.func.jacrev(lambda v: frozen_forward(layers, v[None])[0])(x).numpy()
        _, _, vt = np.linalg.svd(jac)
        v = vt[0]
        if last["direction"] is not None and v @ last["direction"] < 0:
            v = -v
        last["direction"] = v
        return (np.asarray(o, np.float64) + eps * v).astype(np.float32)
    return perturb


def run_study(gammas, demos, epochs=60, eps=0.1, starts=8, seed=0, progress=None):
    """Rows of {gamma, certified, method, empirical, product, validation_loss, nominal_error, attacked_error}."""
    import tinyctl
    from tinyctl.controllers import LIPSCHITZ
    from tinyctl.training.lipschitz.command import closed_loop
    from tinyctl.training.lipschitz.empirical import lower_bound
    from tinyctl.training.lipschitz.export import mlp_model
    from tinyctl.training.lipschitz.imitation import fit, motors_of
    from tinyctl.training.lipschitz.sandwich import frozen_forward
    obs, act = demos
    rows = []
    for gamma in gammas:
        net, figures = fit(obs, act, gamma, epochs=epochs, seed=seed)
        layers = net.freeze()
        policy = motors_of(layers)
        cert = tinyctl.compile(mlp_model(layers), lipschitz=True).manifest["lipschitz"]
        empirical = lower_bound(lambda x: frozen_forward(policy.layers, x), LIPSCHITZ.observation_size,
                                samples=2048, ascent_steps=150, seed=seed)
        _, nominal = closed_loop(policy, LIPSCHITZ, starts=starts)
        attacked_flights = []
        from tinyctl.scenarios.disturbances import RandomState
        from tinyctl.training.lipschitz.expert import HOME, fly, initial_state
        rng = np.random.default_rng(7)
        spread = RandomState(position=0.5, velocity=0.5, tilt_deg=15.0, yaw_deg=45.0, angular_velocity=0.5)
        for _ in range(starts):
            f = fly(policy, LIPSCHITZ, initial_state(rng, spread), seconds=5.0,
                    perturb=worst_case_perturbation(policy.layers, eps))
            attacked_flights.append(float(np.mean(np.linalg.norm(f[-100:] - np.asarray(HOME), axis=1))))
        rows.append({"gamma": gamma, "certified": cert["bound"], "method": cert["method"], "empirical": empirical,
                     "product": cert["parts"][0]["spectral_product"], "validation_loss": figures["validation_loss"],
                     "nominal_error": _mean(nominal), "attacked_error": _mean(attacked_flights),
                     "nominal_crashes": int(np.sum(~np.isfinite(nominal))),
                     "attacked_crashes": int(np.sum(~np.isfinite(attacked_flights))), "eps": eps})
        if progress is not None:
            progress(rows[-1])
    return rows


def _mean(values):
    values = np.asarray(values, float)
    return float(np.mean(values[np.isfinite(values)])) if np.any(np.isfinite(values)) else float("nan")


def plot(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    g = [r["gamma"] for r in rows]
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.8))
    a.plot(g, [r["nominal_error"] for r in rows], "o-", label="nominal")
    a.plot(g, [r["attacked_error"] for r in rows], "s-", label=f"worst-case perturbation, eps = {rows[0]['eps']:g}")
    a.set_xscale("log")
    a.set_xlabel("gamma (Lipschitz bound)")
    a.set_ylabel("hover error, last second (m)")
    a.set_title("closed loop in the builtin simulator")
    a.legend(fontsize=8)
    b.plot(g, g, "k--", lw=1, label="gamma")
    b.plot(g, [r["certified"] for r in rows], "o-", label="certified (compile --lipschitz)")
    b.plot(g, [r["empirical"] for r in rows], "s-", label="empirical lower bound")
    b.plot(g, [r["product"] for r in rows], "^:", label="product of norms")
    b.set_xscale("log")
    b.set_yscale("log")
    b.set_xlabel("gamma")
    b.set_ylabel("Lipschitz constant")
    b.set_title("bounds of the trained policies")
    b.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
