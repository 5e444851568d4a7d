"""training.png: the loss curves, and one open-loop rollout of the model against the simulator per state."""
import numpy as np

from tinyctl.training.dynamics import data


def plot_training(plant, history, model_step, path, seed=0, length=None):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rng = np.random.default_rng(seed + 7)
    length = length or 2 * plant.rollout_steps
    sim = plant.step_function()
    lo, hi = np.asarray(plant.state_low), np.asarray(plant.state_high)
    x_true = data.uniform(rng, lo + 0.3 * (hi - lo), hi - 0.3 * (hi - lo), 1)
    x_pred = x_true.copy()
    truth, pred, t = [x_true[0]], [x_pred[0]], np.arange(length + 1) * plant.dt
    for k in range(length):
        if k % 10 == 0:
            nominal = np.asarray(plant.nominal, float)
            half = plant.rollout_spread * (np.asarray(plant.input_high) - np.asarray(plant.input_low))
            u = data.uniform(rng, np.maximum(nominal - half, plant.input_low),
                             np.minimum(nominal + half, plant.input_high), 1)
        x_true, x_pred = sim(x_true, u), model_step(x_pred, u)
        truth.append(x_true[0]), pred.append(x_pred[0])
    truth, pred = np.array(truth), np.array(pred)

    fig, axes = plt.subplots(1, 1 + plant.nx, figsize=(4 * (1 + plant.nx), 3.2))
    axes[0].semilogy(history["train"], label="train")
    axes[0].semilogy(history["val"], label="held out")
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("MSE (normalised increment)")
    axes[0].legend()
    for i, name in enumerate(plant.state_names):
        ax = axes[1 + i]
        ax.plot(t, truth[:, i], label="simulator")
        ax.plot(t, pred[:, i], "--", label="model, open loop")
        ax.set_xlabel("t [s]")
        ax.set_title(name)
    axes[1].legend()
    fig.suptitle(f"dynamics model: {plant.name}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
