"""Scenarios of the shared core flown by many vehicles at once: the HIL harness's builtin-simulator loop, batched.

tinyctl.hil_tests.harness.fly with the builtin simulator does, per control period: measure the true state, ask
the controller (the firmware glue around the policy) for motor commands, hold them while the plant advances one
RK4 step, stop at a crash. This module does the same for a batch of vehicles in torch (the plant in float64, the
policy in float32 as on the MCU), returns one tinyctl.scenarios.Trace per vehicle, and the scenario's own
`evaluate` turns each into metrics: training is judged by exactly the definitions HIL uses. A test flies the
same episode both ways and compares the traces.

Actors (what flies):
    PolicyActor(student)      a Student or the published RAPTOR policy, through the glue (observation, clipping,
                              previous action, motor map; the recurrent state committed every 10 ms step)
    TeacherActor(teacher)     a teacher that knows the vehicle
"""
import time

import numpy as np
import torch

from tinyctl.controllers import RAPTOR
from tinyctl.errors import TinyctlError
from tinyctl.scenarios import Trace
from tinyctl.training.raptor import observation as obs_lib
from tinyctl.training.raptor.dynamics import Plant, crashed, make_states


class PolicyActor:
    """A recurrent policy behind the controller glue of `spec`, at the spec's training period."""

    def __init__(self, student, spec=RAPTOR):
        self.student, self.spec = student, spec

    def reset(self, batch):
        self.h = self.student.initial_state(batch)
        self.previous = obs_lib.reset_previous_action(batch, self.spec)

    @torch.no_grad()
    def motors(self, x, target_position, target_velocity):
        o = obs_lib.build_observation(x, target_position, target_velocity, self.previous, self.spec)
        raw, self.h = self.student.step(o, self.h)
        self.previous = obs_lib.clip_action(raw, self.spec)
        return obs_lib.action_to_motors(self.previous, self.spec).to(x.dtype)


class TeacherActor:
    """A teacher, starting from the spec's previous-action reset as the student does."""

    def __init__(self, teacher, spec=RAPTOR):
        self.teacher, self.spec = teacher, spec

    def reset(self, batch):
        self.teacher.reset()
        self.previous = obs_lib.reset_previous_action(batch, self.spec)

    @torch.no_grad()
    def motors(self, x, target_position, target_velocity):
        self.previous = obs_lib.clip_action(self.teacher.act(x, target_position, target_velocity, self.previous),
                                            self.spec)
        return obs_lib.action_to_motors(self.previous, self.spec).to(x.dtype)


def scenario_vehicles(vehicles, scenario):
    """The vehicles the scenario flies (a mass_scale scenario makes them heavier, inertia alike, as the HIL sims)."""
    if scenario.mass_scale == 1.0:
        return vehicles
    out = vehicles.map(lambda t: t.clone())
    out.mass = out.mass * scenario.mass_scale
    out.inertia = out.inertia * scenario.mass_scale
    return out


def initial_states(vehicles, episodes):
    """[B, 17] float64 from the episodes' initial conditions; motors at each vehicle's hover speed."""
    ics = [ep.initial for ep in episodes]
    t = lambda key: torch.tensor(np.array([getattr(ic, key) for ic in ics], dtype=float))   # noqa: E731
    motors = vehicles.hover_motor[:, None].expand(len(ics), 4).to(torch.float64)
    return make_states(t("position"), t("velocity"), t("quaternion"), t("angular_velocity"), motors)


def fly(vehicles, episodes, actor, period=RAPTOR.training_period_us * 1e-6, duration=None, progress=None):
    """Fly episode i with vehicle i; returns a Trace per vehicle (rows up to the step that crashed)."""
    if len(episodes) != len(vehicles):
        raise TinyctlError(f"{len(episodes)} episodes for {len(vehicles)} vehicles: give one episode per vehicle")
    scenario = episodes[0].scenario
    if scenario.noise is not None or scenario.latency_steps:
        raise TinyctlError(f"scenario {scenario.name} needs sensor noise or latency: fly it with tinyctl hil")
    nominal = vehicles.to(torch.float64)
    flown = scenario_vehicles(nominal, scenario)
    plant = Plant(flown)
    b = len(vehicles)
    duration = scenario.duration if duration is None else duration
    steps = int(round(duration / period))
    x = initial_states(nominal, episodes)
    actor.reset(b)
    rec = {k: np.zeros((steps, b, n)) for k, n in (("position", 3), ("velocity", 3), ("quaternion", 4),
                                                     ("angular_velocity", 3), ("motors", 4))}
    rows = np.full(b, steps)
    crash_time = np.full(b, np.nan)
    alive = torch.ones(b, dtype=torch.bool)
    start = time.perf_counter()
    for k in range(steps):
        t = k * period
        ref_p, ref_v = (torch.as_tensor(a, dtype=torch.float64).expand(b, 3) for a in scenario.reference.at(t))
        u = torch.clamp(actor.motors(x, ref_p, ref_v), 0.0, 1.0)
        xn = x.numpy()
        rec["position"][k], rec["velocity"][k], rec["quaternion"][k] = xn[:, 0:3], xn[:, 3:6], xn[:, 6:10]
        rec["angular_velocity"][k], rec["motors"][k] = xn[:, 10:13], u.numpy()
        wind = None
        if scenario.wind is not None:
            wind = torch.as_tensor(scenario.wind.at(t), dtype=torch.float64)[:, None].expand(3, b)
        x = plant.step(x.T.contiguous(), u.T.contiguous(), period, wind=wind).T
        hit = crashed(flown, x) & alive
        if hit.any():
            idx = hit.nonzero()[:, 0].numpy()
            rows[idx], crash_time[idx] = k + 1, t + period
            alive &= ~hit
        if progress is not None:
            progress(k + 1, steps)
        if not alive.any():
            break
    wall = (time.perf_counter() - start) / b
    times = np.arange(steps) * period
    traces = []
    for i in range(b):
        n = rows[i]
        ref_p, ref_v = scenario.reference.at(times[:n])
        traces.append(Trace(t=times[:n].copy(), reference_position=np.asarray(ref_p).reshape(n, 3),
                            reference_velocity=np.asarray(ref_v).reshape(n, 3),
                            crashed=bool(np.isfinite(crash_time[i])),
                            crash_time=None if np.isnan(crash_time[i]) else float(crash_time[i]),
                            wall_time=wall, **{key: rec[key][:n, i].copy() for key in rec}))
    return traces


def evaluate(vehicles, episodes, actor, **kw):
    """Fly and score: [metrics per vehicle] by the scenario's own criterion."""
    scenario = episodes[0].scenario
    return [scenario.evaluate(tr) for tr in fly(vehicles, episodes, actor, **kw)]
