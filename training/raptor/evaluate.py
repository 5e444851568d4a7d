"""Held-out evaluation: our student, the published RAPTOR policy and the teachers on the same vehicles and seeds.

Vehicles come from the training distribution but from a generator seeded apart from every training stream
(HELDOUT_SEED), and episode i of each scenario flies vehicle i, so every policy meets exactly the same vehicle
from exactly the same initial state. Scenarios and success criteria are the shared core's (tinyctl.scenarios):
    recovery        random initial states, hold the point: success = no crash and < 0.1 m over the last second
    hover           start on the point at rest, hold it
    figure8_medium  track a figure eight at 1.1 m/s for two laps (RMSE reported; success = RMSE < 0.3 m)
The teachers fly without a disturbance force (the scenarios have none) from the same previous-action reset.

The Crazyflie is evaluated separately (crazyflie()), in the builtin simulator and in RotorPy through the HIL
harness (tinyctl.hil_tests), the policies running behind the same controller glue the firmware uses.
"""
import numpy as np
import torch

from tinyctl import plants, scenarios
from tinyctl.training.raptor import domain as domain_lib
from tinyctl.training.raptor import flight
from tinyctl.training.raptor.dynamics import VehicleBatch
from tinyctl.training.raptor.teachers import make_teacher

HELDOUT_SEED = 20_250_917          # vehicles: never a training or validation stream (those use seeds < 1000)
VALIDATION_SEED = 999
EPISODE_SEED = 0
SCENARIOS = ("recovery", "hover", "figure8_medium")


def heldout_vehicles(n=200, seed=HELDOUT_SEED, domain="raptor"):
    return domain_lib.sample_vehicles(n, torch.Generator().manual_seed(seed), domain_lib.ranges(domain))


def actors(students, vehicles, teacher="lqr"):
    """{name: actor} for every student (a dict name -> Student) and, under "teachers", each vehicle's teacher."""
    out = {name: flight.PolicyActor(s) for name, s in students.items()}
    if teacher:
        out["teachers"] = flight.TeacherActor(make_teacher(teacher, vehicles, torch.zeros(len(vehicles), 3,
                                                                                         dtype=vehicles.mass.dtype)))
    return out


def summarize(results):
    """Aggregate per-vehicle metrics of one scenario: success rate, crashes, medians of the errors."""
    def med(key):
        v = [r[key] for r in results if r.get(key) is not None and np.isfinite(r[key])]
        return float(np.median(v)) if v else None
    def mean(key):
        v = [r[key] for r in results if r.get(key) is not None and np.isfinite(r[key])]
        return float(np.mean(v)) if v else None
    n = len(results)
    return {"runs": n, "successes": int(sum(r["success"] for r in results)),
            "success_rate": float(np.mean([r["success"] for r in results])) if n else None,
            "crashes": int(sum(r["crashed"] for r in results)),
            "steady_state_error_median": med("steady_state_error"),
            "steady_state_error_mean": mean("steady_state_error"),
            "rmse_median": med("rmse"), "final_error_median": med("final_error")}


def run(students, vehicles, scenario_names=SCENARIOS, teacher="lqr", seed=EPISODE_SEED, progress=None):
    """{scenario: {policy: {"summary": ..., "per_vehicle": [metrics]}}} with episode i flown by vehicle i."""
    out = {}
    for name in scenario_names:
        scenario = scenarios.get(name)
        episodes = scenario.episodes(runs=len(vehicles), seed=seed)
        out[name] = {}
        for policy, actor in actors(students, vehicles, teacher).items():
            results = flight.evaluate(vehicles, episodes, actor)
            out[name][policy] = {"summary": summarize(results), "per_vehicle": results}
            if progress is not None:
                progress(name, policy)
    return out


def vehicle_table(vehicles):
    """Per held-out vehicle: the sampled quantities, for the report."""
    return [{"mass": float(vehicles.mass[i]), "thrust_to_weight": float(vehicles.thrust_to_weight[i]),
             "torque_to_inertia": float(domain_lib.torque_to_inertia(vehicles)[i]),
             "motor_tau_rise": float(vehicles.motor_tau_rise[i]), "motor_tau_fall": float(vehicles.motor_tau_fall[i]),
             "torque_constant": float(vehicles.torque_constant[i])} for i in range(len(vehicles))]


class TorchModel:
    """A Student with the calling convention of a compiled model (reset() -> state, step(inputs, state)), so the
    HIL harness's controller glue can run it in-process."""

    def __init__(self, student):
        self.student = student.eval()

    def reset(self):
        return np.zeros(self.student.shape.hidden, np.float32)

    @torch.no_grad()
    def step(self, inputs, state):
        a, h = self.student.step(torch.as_tensor(np.asarray(inputs, np.float32))[None],
                                 torch.as_tensor(np.asarray(state, np.float32))[None])
        return a[0].numpy(), h[0].numpy()


def crazyflie(students, runs=20, simulators=("builtin", "rotorpy"),
              scenario_names=("hover", "recovery", "figure8_slow", "figure8_medium"),
              seed=EPISODE_SEED, progress=None):
    """The nominal Crazyflie flown through the HIL harness (tinyctl.hil_tests) in each simulator:
    {simulator: {scenario: {policy: summary}}}. A simulator that is not installed is reported as such."""
    from tinyctl.controllers import RAPTOR
    from tinyctl.errors import TinyctlError
    from tinyctl.hil_tests import make_sim, run_scenario
    from tinyctl.hil_tests.executors.inprocess import ControllerExecutor
    out = {}
    for sim_name in simulators:
        try:
            sim = make_sim(sim_name) if sim_name != "builtin" else make_sim("builtin", params=plants.CRAZYFLIE)
        except TinyctlError as e:
            out[sim_name] = {"unavailable": str(e)}
            continue
        out[sim_name] = {}
        for name in scenario_names:
            scenario = scenarios.get(name)
            n = runs if scenario.initial is not None else 1
            out[sim_name][name] = {}
            for policy, student in students.items():
                executor = ControllerExecutor(policy, TorchModel(student), RAPTOR, RAPTOR.training_period_us)
                flown = run_scenario(scenario, sim, executor, runs=n, seed=seed)
                out[sim_name][name][policy] = summarize([m for _, _, m in flown])
                if progress is not None:
                    progress(sim_name, name, policy)
    return out


def crazyflie_batch(n=1):
    return VehicleBatch.from_params([plants.CRAZYFLIE] * n)
