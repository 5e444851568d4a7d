"""Plots and tables of the MPC's HIL runs: reference paths flown by the MPC and the PID, the quadrotor's altitude
through the step and the gust, with the inputs and the solver's iterations and instructions per step."""
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLORS = {"reference": "#333333", "mpc": "#d62728", "pid": "#1f77b4"}


def plot_msd(runs, path):
    """runs: {scenario name: {"mpc": PlantTrace, "pid": PlantTrace}} -> one PNG, a row per reference path."""
    names = sorted(runs)
    fig, axes = plt.subplots(len(names), 2, figsize=(12, 2.6 * len(names)), squeeze=False,
                             gridspec_kw={"width_ratios": [3, 1.2]})
    for row, name in zip(axes, names):
        mpc, pid = runs[name]["mpc"], runs[name]["pid"]
        row[0].plot(mpc.t, mpc.ref[:, 0], color=COLORS["reference"], lw=1.2, ls="--", label="reference")
        row[0].plot(pid.t, pid.x[:, 0], color=COLORS["pid"], lw=1.2, label="PID (tuned)")
        row[0].plot(mpc.t, mpc.x[:, 0], color=COLORS["mpc"], lw=1.2, label="NR-MPC (firmware, QEMU)")
        row[0].set_ylabel(f"{name.removeprefix('msd_')}\nposition [m]")
        row[1].plot(pid.t, pid.u[:, 0], color=COLORS["pid"], lw=0.8)
        row[1].plot(mpc.t, mpc.u[:, 0], color=COLORS["mpc"], lw=0.8)
        row[1].set_ylabel("force [N]")
    axes[0][0].legend(loc="upper right", fontsize=8)
    axes[-1][0].set_xlabel("t [s]")
    axes[-1][1].set_xlabel("t [s]")
    fig.suptitle("mass-spring-damper: Newton-Raphson MPC over the learned model vs a tuned PID")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def plot_altitude(trace, scenario, path, label="NR-MPC (firmware, QEMU)", compare=None):
    """The altitude run: height, inputs and wind, the solver's iterations (MPC only) and instructions per step.
    compare: {label: PlantTrace} drawn over it (e.g. the in-process reference of the same law)."""
    solver = bool(trace.iterations.size and trace.iterations.any())
    fig, axes = plt.subplots(4 if solver else 3, 1, figsize=(9, 8.5 if solver else 6.8), sharex=True)
    axes[0].plot(trace.t, trace.ref[:, 0], color=COLORS["reference"], ls="--", label="reference")
    axes[0].plot(trace.t, trace.x[:, 0], color=COLORS["mpc"], label=label)
    for (name, other), color in zip((compare or {}).items(), ("#1f77b4", "#ff7f0e", "#2ca02c")):
        axes[0].plot(other.t, other.x[:, 0], color=color, ls=":", lw=1.5, label=name)
        axes[1].plot(other.t, other.u[:, 0], color=color, ls=":", lw=1.2)
    axes[0].set_ylabel("z [m]")
    axes[0].legend(fontsize=8)
    wind = [0.0 if scenario.disturbance(t) is None else scenario.disturbance(t)[2] for t in trace.t]
    ax = axes[1]
    ax.plot(trace.t, trace.u[:, 0], color=COLORS["mpc"], label="motor command")
    ax.plot(trace.t, trace.x[:, 2], color="#555555", lw=0.8, label="motor speed (normalised)")
    ax.set_ylabel("motors")
    twin = ax.twinx()
    twin.plot(trace.t, wind, color="#2ca02c", lw=0.8)
    twin.set_ylabel("wind z [m/s]", color="#2ca02c")
    ax.legend(fontsize=8, loc="lower left")
    if solver:
        axes[2].step(trace.t, trace.iterations, where="post", color="#9467bd")
        axes[2].set_ylabel("iterations")
    axes[-1].plot(trace.t, trace.cost / 1000, color="#8c564b")
    axes[-1].set_ylabel("instructions\nper step [k]")
    axes[-1].set_xlabel("t [s]")
    fig.suptitle(f"quadrotor altitude: {scenario.description}")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def write_plots(out_dir, msd_runs=None, altitude=None, name="mpc_altitude_step_gust.png", **altitude_options):
    """altitude_options: plot_altitude's label and compare (another controller's run, e.g. a plant law's)."""
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    if msd_runs:
        paths.append(plot_msd(msd_runs, os.path.join(out_dir, "mpc_msd_paths.png")))
    if altitude:
        trace, scenario = altitude
        paths.append(plot_altitude(trace, scenario, os.path.join(out_dir, name), **altitude_options))
    return paths
