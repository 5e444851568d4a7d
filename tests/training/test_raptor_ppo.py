"""The RL teacher: PPO agents trained per vehicle on the batched simulator fly those vehicles in the core's recovery
scenario, through the same flight code the LQR teachers are judged by (training.raptor.flight), far more often than
the same agents untrained; and `tinyctl train raptor --teacher ppo` runs end to end. Both slow (minutes)."""
import json
import os
import time
from dataclasses import replace

import pytest
import torch

from tinyctl import scenarios
from tinyctl.cli import main
from tinyctl.training.raptor import domain, flight
from tinyctl.training.raptor.teachers import make_teacher
from tinyctl.training.raptor.teachers.ppo import PpoConfig

pytestmark = pytest.mark.slow

VEHICLES, SEED = 4, 0
EPISODES = 10                 # recovery episodes per vehicle
CONFIG = PpoConfig()          # the budget `--teacher ppo` trains with


def _vehicles():
    return domain.sample_vehicles(VEHICLES, torch.Generator().manual_seed(SEED))


def _recovery(teacher, vehicles):
    """Metrics of EPISODES recovery episodes per vehicle (the scenario flies without a disturbance force)."""
    idx = torch.arange(VEHICLES).repeat_interleave(EPISODES)
    episodes = scenarios.get("recovery").episodes(runs=len(idx), seed=0)
    return flight.evaluate(vehicles[idx], episodes, flight.TeacherActor(teacher.select(idx)))


def _rates(results):
    success = torch.tensor([r["success"] for r in results], dtype=torch.float64).view(VEHICLES, EPISODES)
    crashed = torch.tensor([r["crashed"] for r in results], dtype=torch.float64)
    final = torch.tensor([r["final_error"] for r in results], dtype=torch.float64)
    return success, float(crashed.mean()), float(final.median())


@pytest.fixture(scope="module")
def ppo():
    """(vehicles, trained teacher, untrained teacher, training seconds): trained as the recovery scenario flies,
    without a disturbance force."""
    vehicles = _vehicles()
    calm = torch.zeros(VEHICLES, 3, dtype=vehicles.mass.dtype)
    t0 = time.perf_counter()
    trained = make_teacher("ppo", vehicles, calm, config=CONFIG)
    seconds = time.perf_counter() - t0
    untrained = make_teacher("ppo", vehicles, calm, config=replace(CONFIG, updates=0))
    return vehicles, trained, untrained, seconds


def test_trained_ppo_teachers_recover_their_vehicles(ppo):
    """Trained: no vehicle lost and at least a fifth of the episodes within the core's 0.1 m, far closer to the
    point than untrained agents, which crash or drift away."""
    vehicles, trained, untrained, seconds = ppo
    ok, crashes, final = _rates(_recovery(trained, vehicles))
    ok0, crashes0, final0 = _rates(_recovery(untrained, vehicles))
    print(f"PPO, {CONFIG.updates} updates of {CONFIG.envs * CONFIG.horizon} steps per vehicle, {seconds:.0f} s: "
          f"recovery {ok.mean():.0%} (per vehicle {ok.mean(1).tolist()}), crashes {crashes:.0%}, median final "
          f"error {final:.3f} m; untrained {ok0.mean():.0%}, crashes {crashes0:.0%}, {final0:.3f} m")
    assert ok.mean() >= 0.2 and ok.mean() >= ok0.mean() + 0.2, ok
    assert crashes <= 0.1 and crashes < crashes0
    assert final < 0.5 * final0


def test_mean_episode_return_rose_over_training(ppo):
    _, trained, untrained, _ = ppo
    h = torch.tensor(trained.history)
    assert len(h) == CONFIG.updates and untrained.history == []
    tenth = len(h) // 10
    first, last = float(h[:tenth].nanmean()), float(h[-tenth:].nanmean())
    # a step's reward is at most 1: the last tenth's episodes earn at least a tenth of a perfect episode more
    assert last > first + 0.1 * CONFIG.episode_steps, (first, last)


def test_train_raptor_with_ppo_teachers_end_to_end(tmp_path):
    out = tmp_path / "ppo"
    assert main(["train", "raptor", "--teacher", "ppo", "--vehicles", "4", "--iterations", "2", "--heldout", "8",
                 "-o", str(out)]) == 0
    record = json.loads((out / "training.json").read_text())
    assert record["config"]["teacher"] == "ppo" and [r["iteration"] for r in record["history"]] == [0, 1]
    assert record["export"]["max_abs_deviation_torch_onnxruntime"] <= 1e-6
    assert os.path.getsize(out / "student.onnx") > 0 and "| ours" in (out / "evaluation.md").read_text()
