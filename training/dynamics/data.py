"""Transitions (x, u, x_next) from a plant's simulator: half drawn uniformly over the state and input box
(coverage of everything the MPC may ask about), half along rollouts with random piecewise-constant inputs
(the states the plant actually visits, where accuracy matters most)."""
import numpy as np


def uniform(rng, low, high, n):
    low, high = np.asarray(low, float), np.asarray(high, float)
    return low + (high - low) * rng.random((n, low.size))


def rollouts(plant, step, rng, n, length=50, hold=(1, 10)):
    """n transitions from n // length rollouts that start uniformly in the box; states leaving it are dropped."""
    runs = max(1, n // length)
    x = uniform(rng, plant.state_low, plant.state_high, runs)
    xs, us, xns = [], [], []
    u = uniform(rng, plant.input_low, plant.input_high, runs)
    left = rng.integers(*hold, size=runs)
    for _ in range(length):
        renew = left <= 0
        if renew.any():
            u[renew] = uniform(rng, plant.input_low, plant.input_high, int(renew.sum()))
            left[renew] = rng.integers(*hold, size=int(renew.sum()))
        xn = step(x, u)
        inside = np.all((xn >= plant.state_low) & (xn <= plant.state_high), axis=1)
        xs.append(x[inside]), us.append(u[inside].copy()), xns.append(xn[inside])
        x = np.where(inside[:, None], xn, uniform(rng, plant.state_low, plant.state_high, runs))
        left -= 1
    return np.concatenate(xs), np.concatenate(us), np.concatenate(xns)


def transitions(plant, n, seed=0):
    """(x, u, x_next) arrays of about n transitions, float64, shuffled."""
    rng = np.random.default_rng(seed)
    step = plant.step_function()
    x1 = uniform(rng, plant.state_low, plant.state_high, n // 2)
    u1 = uniform(rng, plant.input_low, plant.input_high, n // 2)
    x2, u2, xn2 = rollouts(plant, step, rng, n - n // 2)
    x = np.concatenate([x1, x2])
    u = np.concatenate([u1, u2])
    xn = np.concatenate([step(x1, u1), xn2])
    order = rng.permutation(len(x))
    return x[order], u[order], xn[order]
