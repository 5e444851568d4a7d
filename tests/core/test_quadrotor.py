"""The builtin quadrotor (tinyctl.plants): equilibrium, signs, batching, and a cross-check against RotorPy's model."""
from dataclasses import replace

import numpy as np
import pytest

from tinyctl.conventions import quat_to_rotmat
from tinyctl.plants import CRAZYFLIE, QuadrotorParams, crashed, hover_state, make_state, rhs, step

P = CRAZYFLIE


def test_crazyflie_set_is_coherent():
    assert 0.0306 == pytest.approx(P.mass)
    assert P.thrust_to_weight == pytest.approx(1.467, abs=0.005)        # the nominal figure RAPTOR's authors quote
    assert 0 < P.hover_motor < 1
    assert 4 * P.thrust(P.hover_motor) == pytest.approx(P.mass * P.gravity, rel=1e-12)
    for key in ("mass", "inertia", "thrust_curve", "torque_constant", "motor_tau_rise", "motor_tau_fall", "drag"):
        assert P.sources.get(key), f"{key} has no source"


def test_rejects_an_impossible_inertia():
    with pytest.raises(ValueError, match="triangle"):
        replace(P, inertia=(1.43e-5, 1.43e-5, 2.89e-5))                 # RotorPy's Crazyflie inertia


def test_hover_is_an_equilibrium():
    x = hover_state(P, (0.3, -0.2, 1.0))
    u = np.full(4, P.hover_motor)
    for _ in range(500):
        x = step(P, x, u, 0.01)
    assert np.abs(x[:3] - [0.3, -0.2, 1.0]).max() < 1e-9
    assert np.abs(x[3:6]).max() < 1e-9 and np.abs(x[10:13]).max() < 1e-9


def test_free_fall_and_crash():
    vehicle = replace(P, drag=(0.0, 0.0, 0.0))
    x = hover_state(vehicle, (0, 0, 1.0))
    x[13:17] = 0.0
    t = 0.0
    while not crashed(vehicle, x):
        x = step(vehicle, x, np.zeros(4), 0.01)
        t += 0.01
    # motors at rest still give the curve's constant term c0 per rotor
    g = vehicle.gravity - 4 * vehicle.thrust_curve[0] / vehicle.mass
    fall = np.sqrt(2 * 1.0 / g)
    assert fall <= t < fall + 0.01 + 1e-9
    assert x[5] == pytest.approx(-g * t, rel=1e-9)


def test_torque_signs_follow_the_rotor_layout():
    """Left rotors (M3 BL, M4 FL: y > 0) faster rolls right side down (+x torque); front rotors faster pitches nose
    down (-y torque about FLU y... i.e. a positive x position gives -y torque); M1 and M3 (yaw direction -1) faster
    yaws clockwise seen from above (-z)."""
    base = hover_state(P)
    def wdot(delta):
        x = base.copy()
        x[13:17] += delta
        return rhs(P, x, x[13:17])[10:13]
    roll, pitch, yaw = wdot([0, 0, 0.05, 0.05]), wdot([0.05, 0, 0, 0.05]), wdot([0.05, 0, 0.05, 0])
    assert roll[0] > 0 and abs(roll[1]) < 1e-9 and abs(roll[2]) < 1e-9
    assert pitch[1] < 0 and abs(pitch[0]) < 1e-9
    assert yaw[2] < 0 and abs(yaw[0]) < 1e-9 and abs(yaw[1]) < 1e-9


def test_thrust_points_along_body_z():
    q = np.array([np.cos(0.2), np.sin(0.2), 0.0, 0.0])                # 0.4 rad about +x
    x = make_state(position=(0, 0, 1), quaternion=q, motors=P.hover_motor)
    a = rhs(P, x, x[13:17])[3:6]
    thrust = 4 * P.thrust(P.hover_motor) / P.mass
    expect = quat_to_rotmat(q) @ [0, 0, thrust] - [0, 0, P.gravity]
    np.testing.assert_allclose(a, expect, atol=1e-12)


def test_motors_rise_faster_than_they_fall():
    x = hover_state(P)
    x[13:17] = 0.5
    up = step(P, x, np.ones(4), 0.01)[13]
    down = step(P, x, np.zeros(4), 0.01)[13]
    assert up - 0.5 == pytest.approx(0.5 * (1 - np.exp(-0.01 / P.motor_tau_rise)), rel=1e-4)
    assert 0.5 - down == pytest.approx(0.5 * (1 - np.exp(-0.01 / P.motor_tau_fall)), rel=1e-4)


def test_drag_pushes_along_the_wind():
    x = hover_state(P, (0, 0, 1))
    a = rhs(P, x, x[13:17], wind=(3.0, 0, 0))[3:6]
    assert a[0] == pytest.approx(3.0 * P.drag[0] / P.mass)
    no_drag = replace(P, drag=(0.0, 0.0, 0.0))
    assert np.abs(rhs(no_drag, x, x[13:17], wind=(3.0, 0, 0))[3:6]).max() < 1e-12


def test_external_force():
    x = hover_state(P, (0, 0, 1))
    a = rhs(P, x, x[13:17], force=(0, 0.01, 0))[3:6]
    assert a[1] == pytest.approx(0.01 / P.mass)


def test_drag_acts_in_the_body_frame():
    """Drag is D R^T (v - wind) in the body frame: a tilted vehicle feels it rotated (D differs along z)."""
    rng = np.random.default_rng(0)
    q = rng.normal(size=4)
    q /= np.linalg.norm(q)
    v, wind = rng.normal(size=3), rng.normal(size=3)
    x = make_state(position=(0, 0, 1), velocity=v, quaternion=q, motors=0.0)
    no_drag = replace(P, drag=(0.0, 0.0, 0.0))
    a = rhs(P, x, np.zeros(4), wind=wind)[3:6] - rhs(no_drag, x, np.zeros(4), wind=wind)[3:6]
    R = quat_to_rotmat(q)
    np.testing.assert_allclose(a, -R @ (np.asarray(P.drag) * (R.T @ (v - wind))) / P.mass, atol=1e-12)


def test_batch_equals_single_vehicle():
    rng = np.random.default_rng(1)
    X = np.stack([make_state(rng.normal(size=3), rng.normal(size=3), rng.normal(size=4), rng.normal(size=3),
                             rng.uniform(0, 1, 4)) for _ in range(6)])
    U = rng.uniform(-0.2, 1.2, (6, 4))
    W = rng.normal(size=(6, 3))
    batch = step(P, X, U, 0.01, wind=W)
    single = np.stack([step(P, X[i], U[i], 0.01, wind=W[i]) for i in range(6)])
    np.testing.assert_array_equal(batch, single)
    np.testing.assert_array_equal(rhs(P, X, U, wind=W), np.stack([rhs(P, X[i], U[i], wind=W[i]) for i in range(6)]))


def test_rk4_converges_at_fourth_order():
    rng = np.random.default_rng(2)
    x0 = make_state((0, 0, 1), rng.normal(size=3), rng.normal(size=4), rng.normal(size=3) * 3, rng.uniform(0.5, 0.9, 4))
    u = np.array([0.9, 0.7, 0.8, 0.75])

    def run(dt):
        x = x0.copy()
        for _ in range(int(round(0.08 / dt))):
            x = step(P, x, u, dt)
        return x
    fine = run(0.00025)
    e1 = np.abs(run(0.004)[:13] - fine[:13]).max()
    e2 = np.abs(run(0.002)[:13] - fine[:13]).max()
    assert 10 < e1 / e2 < 22                                            # ~16 for a fourth-order method


def test_matches_rotorpy_right_hand_side():
    """RotorPy's Multirotor (an independent implementation) with the same vehicle gives the same derivative once
    its rotor order (FL, FR, RR, RL), quaternion order (x, y, z, w) and motor units (rad/s) are converted."""
    multirotor = pytest.importorskip("rotorpy.vehicles.multirotor")
    from rotorpy.vehicles.crazyflie_params import quad_params
    qp = dict(quad_params)
    qp.update(Ixx=P.inertia[0], Iyy=P.inertia[1], Izz=P.inertia[2])
    wmax = qp["rotor_speed_max"]
    ours_from_rotorpy = [1, 2, 3, 0]          # ours M1..M4 (FR, BR, BL, FL) are RotorPy rotors r2, r3, r4, r1
    rotorpy_from_ours = [3, 0, 1, 2]
    rp = np.array([qp["rotor_pos"][k] for k in ("r1", "r2", "r3", "r4")])
    params = QuadrotorParams(
        name="rotorpy-crazyflie", mass=qp["mass"], inertia=P.inertia,
        rotor_positions=tuple(map(tuple, rp[ours_from_rotorpy])),
        rotor_yaw_directions=tuple(float(s) for s in np.asarray(qp["rotor_directions"])[ours_from_rotorpy]),
        thrust_curve=(0.0, 0.0, qp["k_eta"] * wmax ** 2), torque_constant=qp["k_m"] / qp["k_eta"],
        motor_tau_rise=qp["tau_m"], motor_tau_fall=qp["tau_m"])
    veh = multirotor.Multirotor(qp, aero=False)
    rng = np.random.default_rng(3)
    for _ in range(5):
        q = rng.normal(size=4)
        q /= np.linalg.norm(q)
        x = make_state(rng.normal(size=3), rng.normal(size=3), q, rng.normal(size=3) * 5, rng.uniform(0.3, 1.0, 4))
        u = rng.uniform(0, 1, 4)
        s = np.concatenate([x[0:3], x[3:6], x[[7, 8, 9, 6]], x[10:13], np.zeros(3), x[13:17][rotorpy_from_ours] * wmax])
        theirs = veh._s_dot_fn(0.0, s, u[rotorpy_from_ours] * wmax)
        ours = rhs(params, x, u)
        np.testing.assert_allclose(ours[3:6], theirs[3:6], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(ours[[7, 8, 9, 6]], theirs[6:10], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(ours[10:13], theirs[10:13], rtol=1e-9, atol=1e-6)
        np.testing.assert_allclose(ours[13:17][rotorpy_from_ours] * wmax, theirs[16:20], rtol=1e-9, atol=1e-9)
