"""Hardware in the loop: the policy flies quadrotor simulators in closed loop, in-process, in unicorn, in QEMU or on
a real board over its serial port, with metrics, plots and reports.

    from tinyctl.hil_tests import make_sim, run_scenario, reference_executor
    from tinyctl import scenarios
    with reference_executor("build/raptor") as ex:
        results = run_scenario(scenarios.get("hover"), make_sim("rotorpy"), ex)

Layout: sims/ (simulator adapters), executors/ (where the policy runs), harness.py (the lock-step loop),
report.py and plots.py (report.json, report.md, PNGs), command.py (`tinyctl hil`), sweep.py (every scenario,
several executors: the table), demo.py (the flights of `tinyctl demo`), bench.py (bench section "hil"), test_*.py
(the HIL suites, pytest marker `hil`). plant_loop.py and mpc_* are the MPC benchmark's PLANT-frame loop.
"""
from tinyctl.hil_tests.executors import (ExecutorFault, StepResult, make_executor, pil_executor, reference_executor,
                                         sil_executor)
from tinyctl.hil_tests.harness import deviation, fly, run_scenario
from tinyctl.hil_tests.sims import SIMULATORS, FlightState, SimUnavailable, make_sim

__all__ = ["ExecutorFault", "FlightState", "SIMULATORS", "SimUnavailable", "StepResult", "deviation", "fly",
           "make_executor", "make_sim", "pil_executor", "reference_executor", "run_scenario", "sil_executor"]
