"""Fitting a DynamicsMLP to transitions, and measuring it: one-step error on held-out data, and the drift of
open-loop rollouts against the simulator (what a horizon of predictions sees)."""
import numpy as np
import torch

from tinyctl.training.dynamics import data


def fit(net, x, u, xn, epochs=150, batch=512, lr=3e-3, holdout=0.1, seed=0, progress=True):
    """Adam on the normalised increment with a cosine learning rate; returns (history, metrics)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # these networks are tiny: threads only add synchronisation (10x slower here)
    try:
        return _fit(net, x, u, xn, epochs, batch, lr, holdout, seed, progress)
    finally:
        torch.set_num_threads(threads)


def _fit(net, x, u, xn, epochs, batch, lr, holdout, seed, progress):
    n_val = max(1, int(len(x) * holdout))
    z = np.concatenate([x, u], axis=1)
    delta = xn - x
    net.set_scaling(z[n_val:], delta[n_val:])
    to = lambda a: torch.as_tensor(a, dtype=torch.float32)  # noqa: E731
    xt, ut = to(x[n_val:]), to(u[n_val:])
    target = to((delta[n_val:] - net.out_center.numpy()) / net.out_scale.numpy())
    xv, uv = to(x[:n_val]), to(u[:n_val])
    target_v = to((delta[:n_val] - net.out_center.numpy()) / net.out_scale.numpy())
    net.float()
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    steps_per_epoch = max(1, len(xt) // batch)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * steps_per_epoch, eta_min=lr * 0.01)
    gen = torch.Generator().manual_seed(seed)
    history = {"train": [], "val": []}
    with _progress(progress, epochs) as advance:
        for epoch in range(epochs):
            perm = torch.randperm(len(xt), generator=gen)
            total = 0.0
            for k in range(steps_per_epoch):
                idx = perm[k * batch:(k + 1) * batch]
                loss = torch.mean((net.normalised_increment(xt[idx], ut[idx]) - target[idx]) ** 2)
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
                total += float(loss.detach())
            with torch.no_grad():
                val = float(torch.mean((net.normalised_increment(xv, uv) - target_v) ** 2))
            history["train"].append(total / steps_per_epoch)
            history["val"].append(val)
            advance(f"loss {history['train'][-1]:.2e} val {val:.2e}")
    with torch.no_grad():
        pred = net.double()(torch.as_tensor(x[:n_val]), torch.as_tensor(u[:n_val])).numpy()
    net.float()
    err = pred - xn[:n_val]
    rel = np.sqrt(np.mean(err ** 2, axis=0)) / np.maximum(delta.std(axis=0), 1e-12)
    metrics = {"one_step_rmse": np.sqrt(np.mean(err ** 2, axis=0)).tolist(),
               "one_step_rmse_relative_to_increment": rel.tolist(),
               "val_loss": history["val"][-1], "train_loss": history["train"][-1],
               "holdout_samples": n_val}
    return history, metrics


def rollout_error(plant, model_step, episodes=32, length=None, seed=1):
    """Open-loop predictions of `length` steps against the simulator, from random states under random
    piecewise-constant inputs: RMSE and max abs error per state, over every step of every episode."""
    rng = np.random.default_rng(seed)
    length = length or plant.rollout_steps
    sim = plant.step_function()
    lo, hi = np.asarray(plant.state_low), np.asarray(plant.state_high)
    x_true = data.uniform(rng, lo + 0.25 * (hi - lo), hi - 0.25 * (hi - lo), episodes)
    x_pred = x_true.copy()
    nominal = np.asarray(plant.nominal, float)
    half = plant.rollout_spread * (np.asarray(plant.input_high) - np.asarray(plant.input_low))
    lo_u, hi_u = np.maximum(nominal - half, plant.input_low), np.minimum(nominal + half, plant.input_high)
    errs = []
    for t in range(length):
        if t % 10 == 0:   # inputs within a quarter of the box's width around the nominal input
            u = data.uniform(rng, lo_u, hi_u, episodes)
        x_true = sim(x_true, u)
        x_pred = model_step(x_pred, u)
        errs.append(x_pred - x_true)
    errs = np.array(errs)
    return {"steps": length, "episodes": episodes,
            "rmse": np.sqrt(np.mean(errs ** 2, axis=(0, 1))).tolist(),
            "max_abs": np.abs(errs).max(axis=(0, 1)).tolist()}


class _progress:
    def __init__(self, enabled, total):
        self.enabled, self.total = enabled, total

    def __enter__(self):
        if not self.enabled:
            return lambda text: None
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
        self.bar = Progress(TextColumn("training"), BarColumn(), TextColumn("{task.completed}/{task.total} epochs"),
                            TextColumn("{task.description}"), TimeRemainingColumn(), transient=True)
        self.bar.__enter__()
        task = self.bar.add_task("", total=self.total)
        return lambda text: self.bar.update(task, advance=1, description=text)

    def __exit__(self, *exc):
        if self.enabled:
            self.bar.__exit__(*exc)
