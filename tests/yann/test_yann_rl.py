"""YANN-RL's parts, without training: the environments against their definitions, the actor that starts as the
MPC law with branches anchored at the reference, the LQR critic, and the trained actor's ONNX export, which the
compiler lowers to the region table plus the dense branches (or all dense), verified."""
import numpy as np
import onnx
import pytest
import torch

import tinyctl
from tinyctl.training.yann import altitude_env, pendulum
from tinyctl.training.yann.export import yann_rl_model
from tinyctl.training.yann.network import YANN
from tinyctl.training.threads import torch_threads
from tinyctl.training.yann.rl import LqrCritic, YannActor


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    with torch_threads(1):
        yield


@pytest.fixture(scope="module")
def altitude():
    from tinyctl.training.yann.mpc import explicit_law
    mpc = altitude_env.mpc(4)
    law, _ = explicit_law(mpc)
    return mpc, law


def trained_looking(law, seed=0, scale=0.05):
    """A YANN-RL actor whose branches have moved off zero, as training leaves them."""
    torch.manual_seed(seed)
    actor = YannActor(law, hidden=(16, 16)).double()
    with torch.no_grad():
        for w in actor.branches.weights:
            w.add_(scale * torch.randn_like(w))
    return actor


def thetas(n, seed, widen=1.2):
    rng = np.random.default_rng(seed)
    lo, hi = np.array(altitude_env.SPEC.input_low), np.array(altitude_env.SPEC.input_high)
    return torch.tensor(rng.uniform(lo * widen, hi * widen, (n, 3)))


def test_altitude_environment_is_the_builtin_simulator():
    """One step of the batched environment is the HIL simulator's step (the full rigid body, level)."""
    from tinyctl.hil_tests.sims.altitude_sim import AltitudeSim
    x = altitude_env.starts(6, torch.Generator().manual_seed(3))
    a = torch.tensor([[-0.9], [-0.3], [0.0], [0.1], [0.3], [-0.05]], dtype=torch.float64)
    nxt, cost = altitude_env.step(x, a)
    sim = AltitudeSim()
    for i in range(len(x)):
        sim.reset(x[i].numpy())
        sim.step([min(max(altitude_env.HOVER + float(a[i, 0]), 0.0), 1.0)], altitude_env.DT)
        np.testing.assert_allclose(nxt[i].numpy(), sim.observe(), rtol=0, atol=1e-12)
    theta = altitude_env.observe(x)
    q, r = altitude_env.weights()
    ac = a.clamp(altitude_env.ACTION_LOW, altitude_env.ACTION_HIGH)
    expect = np.einsum("bi,ij,bj->b", theta.numpy(), q, theta.numpy()) + np.einsum("bi,ij,bj->b", ac, r, ac)
    np.testing.assert_allclose(cost.numpy(), expect, rtol=1e-12)


def test_altitude_observation_is_the_firmware_glue():
    """theta of the environment is the plant-law spec's map, as tinyctl.controllers.PlantLaw computes it."""
    from tinyctl.controllers.plant_law import law_input
    x = altitude_env.starts(20, torch.Generator().manual_seed(4)) * torch.tensor([1.0, 2.0, 1.0], dtype=torch.float64)
    ref = np.array([altitude_env.Z_REF, 0.0, altitude_env.HOVER])
    for xi, ti in zip(x.numpy(), altitude_env.observe(x).numpy()):
        np.testing.assert_allclose(ti, law_input(altitude_env.SPEC, xi, ref)[0], atol=1e-6)


def test_pendulum_is_gymnasiums():
    gym = pytest.importorskip("gymnasium")
    env = gym.make("Pendulum-v1").unwrapped
    rng = np.random.default_rng(0)
    for _ in range(20):
        th, thdot, u = rng.uniform(-np.pi, np.pi), rng.uniform(-8, 8), rng.uniform(-3, 3)
        env.state = np.array([th, thdot])
        _, reward, *_ = env.step(np.array([u], np.float32))
        # Gymnasium's theta = 0 is upright, as ours; its reward is minus our cost
        nxt, cost = pendulum.step(torch.tensor([[th, thdot]]), torch.tensor([[u]], dtype=torch.float64))
        np.testing.assert_allclose(nxt[0].numpy(), env.state, atol=1e-5)
        assert abs(float(cost[0]) + reward) < 1e-5


def test_actor_starts_as_the_law_and_branches_keep_the_equilibrium(altitude):
    _, law = altitude
    actor = YannActor(law, hidden=(16, 16)).double()
    th = thetas(400, seed=1)
    np.testing.assert_array_equal(actor(th).detach().numpy(), YANN(law)(th)[0].numpy())
    moved = trained_looking(law)
    zero = torch.zeros(1, 3, dtype=torch.float64)
    assert float(moved(zero).detach().abs().max()) == 0.0                 # hover at the reference stays hover
    assert float((moved(th) - actor(th)).detach().abs().max()) > 1e-3     # ... while the branches act elsewhere


def test_lqr_critic_is_maximised_by_the_discounted_lqr_gain(altitude):
    from scipy.linalg import solve_discrete_are
    mpc, _ = altitude
    gamma = 0.99
    critic = LqrCritic(mpc.a, mpc.b, mpc.q, mpc.r, gamma).double()
    root = np.sqrt(gamma)
    p = solve_discrete_are(root * mpc.a, root * mpc.b, mpc.q, mpc.r)
    k = np.linalg.solve(mpc.r + gamma * mpc.b.T @ p @ mpc.b, gamma * mpc.b.T @ p @ mpc.a)
    s = thetas(5, seed=2)
    best = torch.tensor(-s.numpy() @ k.T, requires_grad=True)
    grad, = torch.autograd.grad(critic(s, best).sum(), best)
    assert float(grad.abs().max()) < 1e-9                                  # the critic's argmax is u = -K s
    # and its value there is minus the discounted cost to go, s' P s
    np.testing.assert_allclose(-critic(s, best).detach().numpy()[:, 0], np.einsum("bi,ij,bj->b", s, p, s),
                               rtol=1e-9)


@pytest.mark.hostc
def test_trained_actor_exports_compiles_and_verifies(altitude, tmp_path):
    """The export equals the torch actor; the compiler keeps the region table (it also gives the region indicator
    to the branches) or goes dense, both verified and equal to the actor in C."""
    import onnxruntime as ort
    _, law = altitude
    actor = trained_looking(law)
    path = str(tmp_path / "actor.onnx")
    onnx.save(yann_rl_model(actor), path)
    th = thetas(300, seed=5)
    ref = actor(th).detach().numpy()[:, 0]
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    got = np.array([session.run(["u"], {"state": t[None].astype(np.float32)})[0][0, 0] for t in th.numpy()])
    assert np.max(np.abs(got - ref)) < 1e-5
    figures = {}
    for lowering in ("regions", "dense"):
        c = tinyctl.compile(path, str(tmp_path / lowering), name="actor", verify=True, lowering=lowering)
        lw = c.manifest["lowerings"]
        assert lw["emitted"] == lowering and c.manifest["verify"]["max_abs_err"] <= 1e-5
        state = c.reset()
        out = np.array([c.step(t.astype(np.float32), state)[0] for t in th.numpy()])
        assert np.max(np.abs(out[:, 0] - ref)) < 1e-5
        np.testing.assert_array_equal(out[:, 1], YANN(law)(th)[1].numpy()[:, 0])
        figures = lw
    table = figures["regions"]["tables"][0]
    assert table["regions"] == law.sizes[0] and table["indicator"]
    # the table replaces the dense YANN: fewer products and less flash, the branches being the same in both
    assert figures["regions"]["macs"] < figures["dense"]["macs"] - 3000
    assert figures["regions"]["constant_bytes"] < figures["dense"]["constant_bytes"]


def test_train_yann_refuses_rl_without_an_environment(tmp_path, capsys):
    from tinyctl.cli import main
    assert main(["train", "yann", "--problem", "double-integrator", "--rl", "-o", str(tmp_path / "a")]) == 2
    assert "--rl runs on --problem pendulum or quadrotor-altitude" in capsys.readouterr().err
    assert main(["train", "yann", "--problem", "quadrotor-altitude", "--rl", "--rounds", "0",
                 "-o", str(tmp_path / "b")]) == 2
    assert "--rounds 0" in capsys.readouterr().err
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
