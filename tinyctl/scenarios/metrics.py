"""Metrics of one flight, computed from its Trace: the same definitions for every simulator, every executor and training.

Errors are 3-D position errors |p - p_ref| in metres. Windows are in seconds of simulated time:
    rmse, max_error           over the whole flight
    final_error               the largest error over the last `final_window` s
    steady_state_error        the mean error over the last `final_window` s
    settle_time               first time after which the position stays within `band` of where it settles for the
                              rest of the flight (None if it never does). For a setpoint that ends still (hover,
                              step) that is the final value, the mean position over the last `final_window` s, as
                              in the classical definition, so a steady-state error does not read as "never
                              settles"; for a moving reference, the reference itself
    step metrics              rise time (10 % -> 90 % of the step, along its direction), overshoot (% of the step
                              size beyond the target, along its direction)
    gust metrics              max deviation from the gust's start on, recovery time (settle time after the gust ends)
    cost                      mean and max instructions or cycles per step, when the executor reports them
    real_time_factor          simulated seconds per wall-clock second
"""
import numpy as np

FINAL_WINDOW = 1.0   # s
HOLD_TOLERANCE = 0.1  # m: "position error under 0.1 m over the last second"
SETTLE_BAND = 0.05   # m


def _window(t, seconds):
    return t >= t[-1] - seconds + 1e-9 if len(t) else np.zeros(0, bool)


def settle_time(t, error, band, after=0.0):
    """First time >= after from which error stays <= band to the end; None if it never settles."""
    mask = t >= after
    if not mask.any():
        return None
    tt, ee = t[mask], error[mask]
    outside = np.nonzero(ee > band)[0]
    if len(outside) == 0:
        return float(tt[0] - after)
    last = outside[-1]
    return None if last + 1 >= len(tt) else float(tt[last + 1] - after)


def step_response(t, position, start, direction, size, step_time=0.0):
    """Rise time (10 -> 90 %) and overshoot (% of size) of the projection of position onto the step direction."""
    mask = t >= step_time
    progress = (position[mask] - np.asarray(start)) @ np.asarray(direction) / size
    tt = t[mask]
    rise = None
    above10 = np.nonzero(progress >= 0.1)[0]
    above90 = np.nonzero(progress >= 0.9)[0]
    if len(above10) and len(above90):
        rise = float(tt[above90[0]] - tt[above10[0]])
    overshoot = float(max(0.0, progress.max() - 1.0) * 100.0) if len(progress) else None
    return rise, overshoot


def settling_error(trace, moving_reference):
    """Distance to where the flight settles: the final value (mean position over the last window) when the
    setpoint ends still, else the reference."""
    if moving_reference or len(trace) == 0:
        return trace.error
    final = trace.position[_window(trace.t, FINAL_WINDOW)].mean(axis=0)
    return np.linalg.norm(trace.position - final, axis=-1)


def flight_metrics(trace, duration, moving_reference=False):
    """Metrics every scenario reports."""
    t, e = trace.t, trace.error
    m = {"steps": int(len(t)), "crashed": bool(trace.crashed), "crash_time": trace.crash_time,
         "completed": bool(len(t) and not trace.crashed and not trace.stop), "stop": trace.stop}
    if len(t) == 0:
        return m
    final = _window(t, FINAL_WINDOW)
    m.update({
        "rmse": float(np.sqrt(np.mean(e ** 2))),
        "max_error": float(e.max()),
        "final_error": float(e[final].max()),
        "steady_state_error": float(e[final].mean()),
        "settle_time": settle_time(t, settling_error(trace, moving_reference), SETTLE_BAND),
        "max_motor": float(trace.motors.max()),
        "min_motor": float(trace.motors.min()),
    })
    if trace.cost is not None and np.isfinite(trace.cost).any():
        m["cost_mean"] = float(np.nanmean(trace.cost))
        m["cost_max"] = float(np.nanmax(trace.cost))
    sim_time = float(t[-1] - t[0] + (t[1] - t[0] if len(t) > 1 else 0.0))
    m["sim_time"] = sim_time
    m["wall_time"] = float(trace.wall_time)
    m["real_time_factor"] = float(sim_time / trace.wall_time) if trace.wall_time > 0 else None
    m["full_duration"] = bool(sim_time >= duration - 1e-6)
    return m
