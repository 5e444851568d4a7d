"""PNG plots of HIL flights (matplotlib, Agg): trajectories against the reference (3-D and top-down), position
errors over time, motor commands. `flights` maps an executor name to its list of Traces (one per run)."""
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLORS = {"reference": "#1f77b4", "sil": "#2ca02c", "pil": "#9467bd", "qemu": "#d62728", "port": "#ff7f0e",
          "se3": "#7f7f7f"}
MOTOR_LABELS = ("M1 front-right", "M2 back-right", "M3 back-left", "M4 front-left")


def _color(name):
    return COLORS.get(name, None)


def _ref(flights):
    for traces in flights.values():
        for tr in traces:
            if len(tr):
                return tr
    return None


def _at_least(limits, span, setter):
    """Widen an axis to `span` around its centre: a 1 cm wobble should not fill a plot of a 2 m flight."""
    lo, hi = limits
    if hi - lo < span:
        mid = 0.5 * (lo + hi)
        setter(mid - span / 2, mid + span / 2)


def _flown(flights):
    """(executor, trace, line style) of every non-empty flight: the first run of each executor drawn bold, later
    runs (the other seeds of a recovery sweep) thin and faint."""
    for name, traces in flights.items():
        for i, tr in enumerate(traces):
            if len(tr):
                yield name, tr, {"color": _color(name), "lw": 1.2 if i == 0 else 0.6, "alpha": 1.0 if i == 0 else 0.5,
                                 "label": name if i == 0 else None}


def trajectory_3d(flights, path, title):
    fig = plt.figure(figsize=(6, 5))
    ax = fig.add_subplot(projection="3d")
    ref = _ref(flights)
    if ref is not None:
        r = ref.reference_position
        ax.plot(r[:, 0], r[:, 1], r[:, 2], "k--", lw=1, label="setpoint")
        ax.scatter(*r[-1], color="k", marker="*", s=60)
    for name, tr, style in _flown(flights):
        p = tr.position
        ax.plot(p[:, 0], p[:, 1], p[:, 2], **style)
        if tr.crashed:
            ax.scatter(*p[-1], color=style["color"], marker="x", s=40)
    _at_least(ax.get_zlim(), 0.5, ax.set_zlim)
    ax.set_xlabel("x [m]")
    ax.set_ylabel("y [m]")
    ax.set_zlabel("z [m]")
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _finish(fig, ax, path, xlabel, ylabel, title, legend_size=8, ncol=1):
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=legend_size, ncol=ncol)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def trajectory_top(flights, path, title):
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ref = _ref(flights)
    if ref is not None:
        r = ref.reference_position
        ax.plot(r[:, 0], r[:, 1], "k--", lw=1, label="setpoint")
        ax.scatter(r[-1, 0], r[-1, 1], color="k", marker="*", s=60, zorder=3)
    for _, tr, style in _flown(flights):
        ax.plot(tr.position[:, 0], tr.position[:, 1], **style)
    ax.set_aspect("equal", adjustable="datalim")
    _finish(fig, ax, path, "x [m]", "y [m]", title + " (top view)")


def errors(flights, path, title, hold_tolerance=None):
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for _, tr, style in _flown(flights):
        ax.plot(tr.t, tr.error, **style)
    if hold_tolerance:
        ax.axhline(hold_tolerance, color="k", ls=":", lw=1, label=f"{hold_tolerance:g} m")
    _finish(fig, ax, path, "t [s]", "|p - p_ref| [m]", title + ": position error")


def motors(trace, path, title):
    fig, ax = plt.subplots(figsize=(7, 3.5))
    if len(trace):
        for j in range(4):
            ax.plot(trace.t, trace.motors[:, j], lw=0.9, label=MOTOR_LABELS[j])
    ax.set_ylim(-0.02, 1.02)
    _finish(fig, ax, path, "t [s]", "command [0, 1]", title + ": motor commands", legend_size=7, ncol=2)


def write_all(flights, out_dir, title, primary, hold_tolerance=None):
    """The four plots; returns their file names (relative to out_dir)."""
    names = {"trajectory_3d": "trajectory_3d.png", "trajectory_top": "trajectory_top.png", "errors": "errors.png",
             "motors": f"motors_{primary}.png"}
    trajectory_3d(flights, os.path.join(out_dir, names["trajectory_3d"]), title)
    trajectory_top(flights, os.path.join(out_dir, names["trajectory_top"]), title)
    errors(flights, os.path.join(out_dir, names["errors"]), title, hold_tolerance)
    traces = flights.get(primary) or [t for ts in flights.values() for t in ts]
    motors(traces[0] if traces else _empty(), os.path.join(out_dir, names["motors"]), f"{title} [{primary}]")
    return names


def _empty():
    from tinyctl.scenarios import Trace
    return Trace.from_rows([])
