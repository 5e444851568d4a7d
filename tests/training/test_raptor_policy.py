"""Observation and action glue, the teachers, the student module and the batched flight loop: each against the
part of tinyctl it mirrors (the controller glue, scipy, the published checkpoint, the HIL harness)."""
import numpy as np
import pytest
import torch

from tinyctl import plants, scenarios
from tinyctl.controllers import RAPTOR, Controller, action_to_motors, build_observation
from tinyctl.link_protocol import State
from tinyctl.training.foundation import load_checkpoint
from tinyctl.training.raptor import domain, flight
from tinyctl.training.raptor import observation as obs_lib
from tinyctl.training.raptor.dynamics import VehicleBatch
from tinyctl.training.raptor.evaluate import TorchModel
from tinyctl.training.raptor.student import Student, StudentShape
from tinyctl.training.raptor.teachers import make_teacher
from tinyctl.training.raptor.teachers.lqr import LqrTeacher, desaturate
from tinyctl.training.raptor.teachers.riccati import lqr_gains, solve_dare


def test_observation_matches_the_controller_glue():
    rng = np.random.default_rng(0)
    n = 64
    x = np.zeros((n, 17))
    x[:, 0:3] = rng.normal(0, 0.6, (n, 3))                  # beyond the 0.5 m clip for some
    x[:, 3:6] = rng.normal(0, 1.2, (n, 3))                  # beyond the 1 m/s clip for some
    q = rng.normal(size=(n, 4))
    x[:, 6:10] = q / np.linalg.norm(q, axis=1, keepdims=True)
    x[:, 10:13] = rng.normal(0, 3, (n, 3))
    tp, tv = rng.normal(0, 0.2, (n, 3)), rng.normal(0, 0.2, (n, 3))
    prev = rng.uniform(-1, 1, (n, 4)).astype(np.float32)
    got = obs_lib.build_observation(torch.tensor(x), torch.tensor(tp), torch.tensor(tv), torch.tensor(prev)).numpy()
    for i in range(n):
        s = State(0, x[i, 0:3], x[i, 6:10], x[i, 3:6], x[i, 10:13], tp[i], tv[i])
        want, _ = build_observation(RAPTOR, s, prev[i])
        np.testing.assert_allclose(got[i], want, rtol=0, atol=1e-6)
    assert (np.abs(got[:, 0:3]) == 0.5).any() and (np.abs(got[:, 12:15]) == 1.0).any()
    a = rng.uniform(-1.5, 1.5, (n, 4)).astype(np.float32)
    clipped = obs_lib.clip_action(torch.tensor(a))
    motors = obs_lib.action_to_motors(clipped).numpy()
    for i in range(n):
        np.testing.assert_allclose(motors[i], action_to_motors(RAPTOR, np.clip(a[i], -1, 1)), atol=1e-7)
    np.testing.assert_allclose(obs_lib.motors_to_action(torch.tensor(motors)).numpy(), clipped.numpy(), atol=1e-6)


def test_riccati_solution_matches_scipy():
    v = domain.sample_vehicles(3, torch.Generator().manual_seed(1))
    from tinyctl.training.raptor.teachers.lqr import LqrWeights, design_problem
    for weights in (LqrWeights(), LqrWeights(integral=0.5)):
        _check_riccati(*design_problem(v, 0.01, weights))


def _check_riccati(ad, bd, q, r):
    from scipy.linalg import solve_discrete_are
    p = solve_dare(ad, bd, q, r)
    for i in range(3):
        want = solve_discrete_are(ad[i].numpy(), bd[i].numpy(), q[i].numpy(), r[i].numpy())
        np.testing.assert_allclose(p[i].numpy(), want, rtol=1e-7, atol=1e-9 * np.abs(want).max())
    k = lqr_gains(ad, bd, q, r)
    closed = ad - bd @ k
    assert float(torch.linalg.eigvals(closed).abs().max()) < 1.0


def test_desaturation_keeps_attitude_before_thrust():
    yaw = torch.tensor([[-1.0, 1.0, -1.0, 1.0]])
    inside = torch.tensor([[0.2, 0.5, 0.7, 0.9]])
    assert torch.equal(desaturate(inside, yaw), inside)
    high = torch.tensor([[1.3, 1.1, 0.9, 1.1]])          # roll/pitch spread 0.4 on top of too much thrust
    out = desaturate(high, yaw)
    assert float(out.max()) <= 1.0 and float(out.min()) >= 0.0
    torch.testing.assert_close(out - out.mean(), high - high.mean())   # the spread (attitude) survives whole
    wide = torch.tensor([[1.5, 0.5, -0.5, 0.5]])
    out = desaturate(wide, yaw)
    assert float(out.max() - out.min()) == pytest.approx(1.0)


def test_lqr_teachers_recover_sampled_vehicles():
    n = 32
    v = domain.sample_vehicles(n, torch.Generator().manual_seed(11))
    episodes = scenarios.get("recovery").episodes(runs=n, seed=4)
    results = flight.evaluate(v, episodes, flight.TeacherActor(make_teacher("lqr", v, torch.zeros(n, 3))))
    assert sum(r["success"] for r in results) >= n - 1
    assert np.median([r["steady_state_error"] for r in results]) < 0.01


def test_lqr_teacher_compensates_a_known_disturbance():
    v = domain.sample_vehicles(8, torch.Generator().manual_seed(2))
    force = torch.tensor([[0.15, -0.1, 0.1]], dtype=torch.float64) * v.weight[:, None]
    teacher = LqrTeacher(v, force)
    from tinyctl.training.raptor.dynamics import Plant, hover_states
    plant, x = Plant(v), hover_states(v)
    prev = obs_lib.reset_previous_action(8)
    zero = torch.zeros(8, 3, dtype=torch.float64)
    for _ in range(600):
        prev = obs_lib.clip_action(teacher.act(x, zero, zero, prev))
        u = obs_lib.action_to_motors(prev).double()
        x = plant.step(x.T.contiguous(), u.T.contiguous(), 0.01, force=force.T.contiguous()).T
    assert float(x[:, 0:3].norm(dim=1).max()) < 0.01


def test_student_reproduces_the_published_checkpoint():
    _, (inputs, outputs) = load_checkpoint()
    s = Student.from_raptor()
    assert s.shape == StudentShape() and s.parameter_count() == 2068
    with torch.no_grad():
        seq, _ = s(torch.tensor(inputs).transpose(0, 1))                 # [2, 500, 22]
        np.testing.assert_allclose(seq.transpose(0, 1).numpy(), outputs, atol=2e-6)
        h = s.initial_state(2)
        for t in range(50):
            a, h = s.step(torch.tensor(inputs[t]), h)
            np.testing.assert_allclose(a.numpy(), outputs[t], atol=2e-6)


def test_batched_flight_matches_the_hil_harness():
    """The same episode flown by the batched loop and by tinyctl.hil_tests' harness with its builtin simulator,
    the published policy behind the controller glue in both: the traces agree."""
    from tinyctl.hil_tests import make_sim, run_scenario
    from tinyctl.hil_tests.executors.inprocess import ControllerExecutor
    v = domain.sample_vehicles(3, torch.Generator().manual_seed(5))
    scenario = scenarios.get("recovery")
    episodes = scenario.episodes(runs=3, seed=2)
    policy = Student.from_raptor()
    traces = flight.fly(v, episodes, flight.PolicyActor(policy), duration=2.0)
    for i in (0, 2):
        sim = make_sim("builtin", params=v.to_params(i))
        ex = ControllerExecutor("torch", TorchModel(policy), RAPTOR, RAPTOR.training_period_us)
        (_, want, _), = run_scenario(scenario, sim, ex, runs=1, seed=2, duration=2.0) if i == 0 else \
            [run_scenario(scenario, sim, ex, runs=3, seed=2, duration=2.0)[2]]
        got = traces[i]
        assert len(got) == len(want) == 200
        np.testing.assert_allclose(got.position, want.position, atol=1e-4)
        np.testing.assert_allclose(got.motors, want.motors, atol=1e-4)


def test_teacher_and_policy_actors_fly_the_crazyflie():
    cf = VehicleBatch.from_params([plants.CRAZYFLIE])
    ep = scenarios.get("hover").episodes(runs=1)
    for actor in (flight.PolicyActor(Student.from_raptor()),
                  flight.TeacherActor(make_teacher("lqr", cf, torch.zeros(1, 3, dtype=torch.float64)))):
        (m,) = flight.evaluate(cf, ep, actor)
        assert m["success"] and m["final_error"] < 0.08


def test_the_glue_executor_and_the_batched_actor_agree_on_controller_state():
    """The torch model adapter follows the compiled-model convention the glue expects."""
    model = TorchModel(Student.from_raptor())
    c = Controller(RAPTOR, model)
    out = c.step(State(0, [0, 0, 1], [1, 0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 1], [0, 0, 0]))
    assert out.committed and out.motors.shape == (4,) and np.all((out.motors >= 0) & (out.motors <= 1))
