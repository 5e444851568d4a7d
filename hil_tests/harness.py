"""The closed loop: a simulator, an executor and a scenario, in lock-step.

Each control period k (t = k * period): the simulator's true state is measured (the scenario's noise and latency
applied), sent with the reference setpoint as a contract-2 STATE to the executor, and the motor commands it answers
are held for one period while the simulator advances (the scenario's wind held alike). Nothing advances until the
answer arrived. A flight ends at the scenario's duration, at a crash (ground contact or a non-finite state), or
when the executor stops answering sensibly (ExecutorFault, hung firmware, garbage, failsafe): then the trace so
far is kept and `trace.stop` says why, with the last text the firmware printed.
"""
import time
from collections import deque

import numpy as np

from tinyctl.errors import TinyctlError
from tinyctl.link_protocol import State
from tinyctl.scenarios import Trace

US = 1_000_000


def _measure(episode, rng, s):
    noise = episode.scenario.noise
    if noise is None:
        return s.position, s.quaternion, s.velocity, s.body_rates
    return noise.apply(rng, s.position, s.quaternion, s.velocity, s.body_rates)


def _check_motors(result, k):
    m = np.asarray(result.motors, dtype=float)
    if m.shape != (4,) or not np.all(np.isfinite(m)) or m.min() < -1e-6 or m.max() > 1 + 1e-6:
        raise TinyctlError(f"the executor answered step {k} with motor commands {np.array2string(m, precision=4)}: "
                           "not four values in [0, 1]")
    return np.clip(m, 0.0, 1.0)


def fly(episode, sim, executor, control_period_us=None, progress=None, duration=None):
    """Fly one episode; returns its Trace (trace.info holds per-step flags and the executor's errors)."""
    period_us = int(control_period_us or executor.control_period_us)
    dt = period_us / US
    duration = episode.scenario.duration if duration is None else duration
    steps = int(round(duration * US / period_us))
    rng = episode.rng("noise")
    sim.reset(episode)
    executor.begin(episode)
    delayed = deque(maxlen=episode.scenario.latency_steps + 1)
    rows, stop, crashed, crash_time, fault = [], "", False, None, None
    committed = []
    start = time.perf_counter()
    for k in range(steps):
        t_us = k * period_us
        t = t_us / US
        true = sim.observe()
        delayed.append(_measure(episode, rng, true))
        p, q, v, w = delayed[0]
        ref_p, ref_v = episode.reference_at(t)
        state = State(t_us, p, q, v, w, ref_p, ref_v)
        try:
            result = executor.step(state)
            if result.failsafe:
                raise TinyctlError("the controller entered its failsafe: " + "; ".join(result.errors or ["no reason"]))
            motors = _check_motors(result, k)
        except TinyctlError as e:
            fault = e
            stop = f"stopped at step {k} (t = {t:.3f} s; last good step {k - 1}): {e}"
            break
        rows.append({"t": t, "position": true.position, "velocity": true.velocity, "quaternion": true.quaternion,
                     "angular_velocity": true.body_rates, "reference_position": ref_p, "reference_velocity": ref_v,
                     "motors": motors, "cost": result.cost})
        committed.append(bool(result.committed))
        sim.step(motors, dt, episode.wind_at(t))
        if progress is not None:
            progress(k + 1, steps)
        if sim.crashed:
            crashed, crash_time = True, t + dt
            break
    wall = time.perf_counter() - start
    info = {"control_period_us": period_us, "steps_planned": steps, "committed_steps": int(sum(committed))}
    if fault is not None:
        info["fault"] = {"message": str(fault), "type": type(fault).__name__, "last_good_step": len(rows) - 1,
                         "last_text": getattr(fault, "last_text", "") or ""}
    return Trace.from_rows(rows, crashed=crashed, crash_time=crash_time, wall_time=wall, stop=stop, info=info)


def run_scenario(scenario, sim, executor, runs=None, seed=0, control_period_us=None, progress=None, duration=None,
                 stop_on_fault=True):
    """Fly every episode of a scenario; returns [(episode, trace, metrics)]. After a fault the remaining episodes
    are not flown (the executor is not trustworthy any more) unless stop_on_fault is False."""
    out = []
    episodes = scenario.episodes(runs=runs, seed=seed)
    for i, ep in enumerate(episodes):
        cb = None if progress is None else (lambda k, n, i=i: progress(i, len(episodes), k, n))
        trace = fly(ep, sim, executor, control_period_us, cb, duration)
        metrics = scenario.evaluate(trace, duration)
        out.append((ep, trace, metrics))
        if trace.info.get("fault") and stop_on_fault:
            break
    return out


def deviation(a, b):
    """How far two flights of the same episode drifted apart: position, motors (over their common rows)."""
    n = min(len(a), len(b))
    if n == 0:
        return {"steps": 0}
    dp = np.linalg.norm(a.position[:n] - b.position[:n], axis=1)
    dm = np.abs(a.motors[:n] - b.motors[:n])
    return {"steps": n, "max_position_deviation": float(dp.max()), "rms_position_deviation": float(np.sqrt(np.mean(dp ** 2))),
            "max_motor_deviation": float(dm.max()), "mean_motor_deviation": float(dm.mean())}
