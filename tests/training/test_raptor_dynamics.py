"""The batched torch quadrotor against the core's NumPy definition, and RAPTOR's sampling ranges."""
import numpy as np
import pytest
import torch

from tinyctl import plants
from tinyctl.training.raptor import domain
from tinyctl.training.raptor.dynamics import Plant, VehicleBatch, crashed, hover_states, rhs, step


def _vehicles(n, seed=0):
    v = domain.sample_vehicles(n - 1, torch.Generator().manual_seed(seed))
    return VehicleBatch.cat([VehicleBatch.from_params([plants.CRAZYFLIE]), v])


def test_batched_step_matches_the_core_over_500_steps():
    """float64, different vehicles per row, motor commands that make them tumble, wind and an external force."""
    n = 6
    v = _vehicles(n)
    rng = np.random.default_rng(1)
    x = hover_states(v).numpy() + np.concatenate([rng.normal(0, 0.3, (n, 6)), np.zeros((n, 11))], axis=1)
    xt = torch.tensor(x)
    wind, force = rng.normal(0, 2, (n, 3)), rng.normal(0, 0.05, (n, 3)) * v.mass.numpy()[:, None]
    params = [v.to_params(i) for i in range(n)]
    worst = 0.0
    for k in range(500):
        u = np.clip(v.hover_motor.numpy()[:, None] + rng.normal(0, 0.15, (n, 4)), -0.2, 1.2)
        x = np.stack([plants.step(p, xi, ui, 0.01, wind=w, force=f) for p, xi, ui, w, f in zip(params, x, u, wind, force)])
        xt = step(v, xt, torch.tensor(u), 0.01, wind=torch.tensor(wind), force=torch.tensor(force))
        worst = max(worst, float(np.abs(xt.numpy() - x).max() / max(1.0, np.abs(x).max())))
    assert np.abs(x[:, 10:13]).max() > 1.0, "the commands should have excited the attitude dynamics"
    assert worst < 1e-6


def test_rhs_matches_the_core():
    v = _vehicles(4, seed=2)
    rng = np.random.default_rng(3)
    x = hover_states(v).numpy() + rng.normal(0, 0.2, (4, 17))
    x[:, 6:10] /= np.linalg.norm(x[:, 6:10], axis=1, keepdims=True)
    x[:, 13:17] = np.clip(x[:, 13:17], 0, 1)
    u = rng.uniform(0, 1, (4, 4))
    got = rhs(v, torch.tensor(x), torch.tensor(u), wind=torch.ones(4, 3)).numpy()
    want = np.stack([plants.rhs(v.to_params(i), x[i], u[i], wind=np.ones(3)) for i in range(4)])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-9)


def test_vehicle_batch_round_trips_and_hovers():
    v = _vehicles(5)
    back = VehicleBatch.from_params([v.to_params(i) for i in range(5)])
    for name, t in v.state_dict().items():
        torch.testing.assert_close(getattr(back, name), t, rtol=0, atol=0)
    p = v.to_params(3)
    assert float(v.hover_motor[3]) == pytest.approx(p.hover_motor, rel=1e-12)
    assert float(v.thrust_to_weight[3]) == pytest.approx(p.thrust_to_weight, rel=1e-12)
    x = hover_states(v)
    plant = Plant(v)
    xs = x.T.contiguous()
    for _ in range(200):
        xs = plant.step(xs, v.hover_motor[None].expand(4, 5).contiguous(), 0.01)
    assert float((xs.T - x).abs().max()) < 1e-9
    assert not crashed(v, xs.T).any()


def test_sampling_follows_raptors_ranges():
    r = domain.DEFAULT_RANGES
    v = domain.sample_vehicles(4000, torch.Generator().manual_seed(7))
    tw = v.thrust_to_weight.numpy()
    assert r.thrust_to_weight[0] - 1e-9 <= tw.min() and tw.max() <= r.thrust_to_weight[1] + 1e-9
    m = v.mass.numpy()
    assert r.mass[0] <= m.min() and m.max() <= r.mass[1]
    # uniform in size: the cube root of the mass is uniform, so its median sits mid-range (mass uniform would not)
    lo, hi = r.mass[0] ** (1 / 3), r.mass[1] ** (1 / 3)
    assert np.median(np.cbrt(m)) == pytest.approx((lo + hi) / 2, abs=0.04)
    tti = domain.torque_to_inertia(v).numpy()
    assert r.torque_to_inertia[0] - 1e-6 <= tti.min() and tti.max() <= r.torque_to_inertia[1] + 1e-6
    for name, rng in (("motor_tau_rise", r.motor_tau_rise), ("motor_tau_fall", r.motor_tau_fall),
                      ("torque_constant", r.torque_constant)):
        t = getattr(v, name).numpy()
        assert rng[0] <= t.min() and t.max() <= rng[1] and t.max() - t.min() > 0.9 * (rng[1] - rng[0])
    # arms scale with the cube root of the mass within +-10 %
    arm = np.abs(v.rotor_positions[:, 0, 0].numpy()) / abs(plants.CRAZYFLIE.rotor_positions[0][0])
    ratio = arm / np.cbrt(m / plants.CRAZYFLIE.mass)
    assert 1 / 1.1 - 1e-9 <= ratio.min() and ratio.max() <= 1.1 + 1e-9
    # every sampled vehicle is a valid QuadrotorParams (inertia triangle inequality and all)
    for i in range(0, 4000, 400):
        v.to_params(i)


def test_disturbance_is_bounded_by_the_spare_thrust():
    g = torch.Generator().manual_seed(0)
    v = domain.sample_vehicles(20000, g)
    d = domain.sample_disturbances(v, g)
    sigma_max = domain.DEFAULT_RANGES.disturbance_force * (v.thrust_to_weight - 1) * v.weight / 3
    z = (d.abs() / sigma_max[:, None]).numpy()
    assert np.mean(z < 3) > 0.99 and z.max() < 6


def test_initial_states_cover_the_recovery_scenario():
    g = torch.Generator().manual_seed(0)
    v = domain.sample_vehicles(20000, g)
    x = domain.sample_initial_states(v, g).numpy()
    assert np.abs(x[:, 0:3]).max() > 0.5 and np.abs(x[:, 3:6]).max() > 0.5 and np.abs(x[:, 10:13]).max() > 1.0
    tilt = np.degrees(np.arccos(np.clip(1 - 2 * (x[:, 7] ** 2 + x[:, 8] ** 2), -1, 1)))
    assert tilt.max() > 30
    np.testing.assert_allclose(np.linalg.norm(x[:, 6:10], axis=1), 1.0, atol=1e-12)
    assert not domain.terminated(torch.tensor(x), torch.zeros(20000, 3)).any()
