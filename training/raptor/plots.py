"""Training curves as a PNG: imitation loss, how the student flies during DAgger, validation success and
steady-state error, and where the time went."""
import numpy as np


def training_curves(history, path, title="tinyctl train raptor"):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    it = np.array([r["iteration"] for r in history])
    fig, ax = plt.subplots(2, 2, figsize=(11, 7))
    ax[0, 0].semilogy(it, [r["loss"] for r in history], "o-", ms=3)
    ax[0, 0].set(title="imitation loss (on the teachers' actions)", xlabel="iteration")
    flies = [r for r in history if r.get("student_flies") and "student_terminated" in r]
    if flies:
        ax[0, 1].plot([r["iteration"] for r in flies], [100 * r["student_terminated"] for r in flies], "o-", ms=3,
                      label="episodes ended early (%)")
        ax[0, 1].plot([r["iteration"] for r in flies], [100 * r["student_final_error"] for r in flies], "s-", ms=3,
                      label="median final position error (cm)")
        ax[0, 1].legend()
    ax[0, 1].set(title="the student flying its DAgger episodes", xlabel="iteration")
    val = [r for r in history if "validation_success" in r]
    if val:
        vi = [r["iteration"] for r in val]
        ax[1, 0].plot(vi, [100 * r["validation_success"] for r in val], "o-", label="recovery success (%)")
        ax2 = ax[1, 0].twinx()
        ax2.plot(vi, [100 * (r["validation_sse"] or np.nan) for r in val], "s-", color="tab:orange",
                 label="median steady-state error (cm)")
        ax2.set_ylabel("cm")
        lines = ax[1, 0].get_lines() + ax2.get_lines()
        ax[1, 0].legend(lines, [line.get_label() for line in lines], loc="center right")
    ax[1, 0].set(title="validation vehicles (recovery scenario)", xlabel="iteration", ylabel="%")
    # collection runs in a worker while the trainer trains: the two overlap, the trainer's wait is what they cost
    ax[1, 1].plot(it, [r["collect_s"] for r in history], label="collect (teachers + rollouts)")
    ax[1, 1].plot(it, [r["train_s"] for r in history], label="train (BPTT)")
    ax[1, 1].plot(it, [r["wait_s"] for r in history], label="trainer waiting for data")
    ax[1, 1].set(title="wall time per iteration", xlabel="iteration", ylabel="s")
    ax[1, 1].legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
