"""YANN-RL (Braniff & Tian 2025): DDPG that starts from the explicit MPC law and its LQR Q-function.

Actor: the exact YANN of the MPC law plus one small branch per region (and one for "outside the feasible set"),
each gated by its region's indicator and with its last layer zero-initialised, so the first policy IS the MPC
law. Critic: the exact Q-function of the discounted LQ problem,
    Q(s, a) = -( s'(Q + g A'PA)s + 2 s'(g A'PB)a + a'(R + g B'PB)a ),   P from the discounted DARE,
plus a zero-initialised branch. Rollouts use no exploration noise: the policy is deterministic and the varied
start states are the only exploration, so training never acts worse than the current policy on purpose.

The baseline is plain DDPG (random MLP actor and critic, Gaussian exploration noise) on the same episodes.
"""
import copy
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from tinyctl.training.yann.network import YANN


def mlp(n_in, hidden, n_out, zero_last=False, out=None):
    layers, width = [], n_in
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    last = nn.Linear(width, n_out)
    if zero_last:
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)
    layers.append(last)
    if out is not None:
        layers.append(out)
    return nn.Sequential(*layers)


class BranchBank(nn.Module):
    """K small MLPs side by side (weights [K, out, in]), evaluated at once: x [B, n] -> [B, K, m]. The last
    layer starts at zero, so every branch outputs 0 until it is trained. Each branch is anchored at the origin,
    b(x) = mlp(x) - mlp(0): at theta = 0 (the reference, where the MPC law holds the plant still) every branch
    stays 0, so training reshapes the transients and never moves the law's equilibrium (no steady-state offset)."""

    def __init__(self, count, n_in, hidden, n_out):
        super().__init__()
        widths = [n_in, *hidden, n_out]
        self.weights, self.biases = nn.ParameterList(), nn.ParameterList()
        for k, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
            last = k == len(widths) - 2
            bound = 1.0 / np.sqrt(a)        # nn.Linear's initialisation, per branch
            w = torch.zeros(count, b, a) if last else torch.empty(count, b, a).uniform_(-bound, bound)
            c = torch.zeros(count, b) if last else torch.empty(count, b).uniform_(-bound, bound)
            self.weights.append(nn.Parameter(w))
            self.biases.append(nn.Parameter(c))

    def _mlp(self, x):
        h = x.unsqueeze(1).expand(-1, self.weights[0].shape[0], -1)            # [B, K, n]
        for k, (w, b) in enumerate(zip(self.weights, self.biases)):
            h = torch.einsum("bki,koi->bko", h, w) + b
            if k < len(self.weights) - 1:
                h = torch.relu(h)
        return h

    def forward(self, x):
        return self._mlp(x) - self._mlp(torch.zeros_like(x[:1]))

    def layers(self, branch):
        """[(W, b)] of one branch, float64 NumPy, the anchor folded into the last bias (for the ONNX export)."""
        with torch.no_grad():
            at_zero = self._mlp(torch.zeros(1, self.weights[0].shape[2], dtype=self.weights[0].dtype))[0, branch]
        out = [(w[branch].detach().double().numpy(), b[branch].detach().double().numpy())
               for w, b in zip(self.weights, self.biases)]
        out[-1] = (out[-1][0], out[-1][1] - at_zero.double().numpy())
        return out


class YannActor(nn.Module):
    """u = YANN(x) + sum_i z_i(x) branch_i(x) + (1 - inside(x)) branch_out(x); exactly the MPC law at the start."""

    def __init__(self, law, hidden=(32, 32)):
        super().__init__()
        self.yann = YANN(law)
        p, _, m, n = law.sizes
        self.hidden = tuple(hidden)
        self.branches = BranchBank(p + 1, n, hidden, m)

    def forward(self, x):
        z3 = self.yann.regions(x)
        u, inside = self.yann.laws(x, z3)
        gates = torch.cat([z3, 1.0 - inside], dim=1)                             # [B, p + 1], one-hot
        return u + (gates.unsqueeze(-1) * self.branches(x)).sum(dim=1)


class LqrCritic(nn.Module):
    """The discounted LQ Q-function (negated: rewards are negative costs) plus a zero-start branch."""

    def __init__(self, a, b, q, r, gamma, hidden=(64, 64)):
        super().__init__()
        from scipy.linalg import solve_discrete_are
        root = np.sqrt(gamma)
        p = solve_discrete_are(root * a, root * b, q, r)
        h = np.block([[q + gamma * a.T @ p @ a, gamma * a.T @ p @ b], [gamma * b.T @ p @ a, r + gamma * b.T @ p @ b]])
        self.register_buffer("h", torch.as_tensor((h + h.T) / 2, dtype=torch.float64))
        self.branch = mlp(a.shape[0] + b.shape[1], hidden, 1, zero_last=True)

    def forward(self, s, a):
        z = torch.cat([s, a], dim=1)
        return -torch.einsum("bi,ij,bj->b", z, self.h, z)[:, None] + self.branch(z)


class MlpCritic(nn.Module):
    def __init__(self, n_s, n_a, hidden=(64, 64)):
        super().__init__()
        self.net = mlp(n_s + n_a, hidden, 1)

    def forward(self, s, a):
        return self.net(torch.cat([s, a], dim=1))


@dataclass
class DDPGConfig:
    rounds: int = 12              # each round: `envs` episodes side by side, then an evaluation
    envs: int = 16
    gamma: float = 0.99
    tau: float = 0.005
    batch: int = 256
    actor_lr: float = 1e-4
    critic_lr: float = 1e-3
    updates_per_step: int = 1
    noise: float = 0.0            # Gaussian exploration noise (action units); YANN-RL uses none
    test_starts: int = 32
    seed: int = 0
    warmup_critic: int = 0        # critic-only updates before the actor moves
    keep_best: bool = False       # continuous policy improvement: a round that makes the test cost worse is undone
    meta: dict = field(default_factory=dict)


def rollout_cost(env, policy, x0, steps=None):
    """Total cost of each episode from x0 [B, nx] under policy(observation) -> action (no gradient)."""
    x, total = x0.clone(), torch.zeros(x0.shape[0], dtype=x0.dtype)
    with torch.no_grad():
        for _ in range(steps or env.EPISODE_STEPS):
            x, cost = env.step(x, policy(env.observe(x)))
            total += cost
    return total


def test_starts(env, n):
    """The fixed start states every policy is tested from (the same for every run and method)."""
    return env.starts(n, torch.Generator().manual_seed(12345))


def ddpg(env, actor, critic, config, progress=None, label="ddpg"):
    """Train actor and critic on env (a module with step, observe, starts, EPISODE_STEPS,
    ACTION_LOW, ACTION_HIGH); returns the learning curve [(environment steps, test cost of the round's policy, test cost of
    the policy kept)] and the wall time. Test cost: mean episode cost from fixed start states."""
    gen = torch.Generator().manual_seed(config.seed)
    torch.manual_seed(config.seed)
    actor, critic = actor.double(), critic.double()
    actor_target, critic_target = copy.deepcopy(actor), copy.deepcopy(critic)
    for net in (actor_target, critic_target):
        net.requires_grad_(False)
    opt_a = torch.optim.Adam([p for p in actor.parameters() if p.requires_grad], lr=config.actor_lr)
    opt_c = torch.optim.Adam(critic.parameters(), lr=config.critic_lr)
    test = test_starts(env, config.test_starts)
    limit = (env.ACTION_LOW, env.ACTION_HIGH)
    buffer = {"s": [], "a": [], "c": [], "s2": []}

    def evaluate():
        return float(rollout_cost(env, actor, test).mean())

    first = evaluate()
    curve, steps, start = [(0, first, first)], 0, time.perf_counter()
    best_cost, best = curve[0][1], (copy.deepcopy(actor.state_dict()), copy.deepcopy(actor_target.state_dict()))
    updates = 0
    for rnd in range(config.rounds):
        x = env.starts(config.envs, gen)
        for _ in range(env.EPISODE_STEPS):
            obs = env.observe(x)
            with torch.no_grad():
                a = actor(obs)
                if config.noise:
                    a = a + config.noise * torch.randn(a.shape, generator=gen, dtype=a.dtype)
                a = a.clamp(*limit)
            x, cost = env.step(x, a)
            for key, value in (("s", obs), ("a", a), ("c", cost), ("s2", env.observe(x))):
                buffer[key].append(value)
            steps += config.envs
            for _ in range(config.updates_per_step):
                _update(buffer, actor, critic, actor_target, critic_target, opt_a, opt_c, config, limit, gen,
                        train_actor=updates >= config.warmup_critic)
                updates += 1
        candidate = evaluate()
        if candidate < best_cost:
            best_cost, best = candidate, (copy.deepcopy(actor.state_dict()), copy.deepcopy(actor_target.state_dict()))
        elif config.keep_best:
            actor.load_state_dict(best[0])
            actor_target.load_state_dict(best[1])
        curve.append((steps, candidate, best_cost if config.keep_best else candidate))
        if progress is not None:
            progress(rnd + 1, curve[-1][2])
    if config.keep_best:
        actor.load_state_dict(best[0])
    return curve, time.perf_counter() - start


def _update(buffer, actor, critic, actor_target, critic_target, opt_a, opt_c, config, limit, gen, train_actor):
    n = sum(len(v) for v in buffer["c"])
    if n < config.batch:
        return
    s, a, c, s2 = (torch.cat(buffer[k]) for k in ("s", "a", "c", "s2"))
    for k, v in zip(("s", "a", "c", "s2"), (s, a, c, s2)):
        buffer[k] = [v]                                   # keep the buffer as one tensor per key
    idx = torch.randint(0, n, (config.batch,), generator=gen)
    s, a, c, s2 = s[idx], a[idx], c[idx], s2[idx]
    with torch.no_grad():
        y = -c[:, None] + config.gamma * critic_target(s2, actor_target(s2).clamp(*limit))
    loss_c = torch.nn.functional.mse_loss(critic(s, a), y)
    opt_c.zero_grad()
    loss_c.backward()
    nn.utils.clip_grad_norm_(critic.parameters(), 10.0)
    opt_c.step()
    if train_actor:
        raw = actor(s)
        clipped = raw + (raw.clamp(*limit) - raw).detach()   # straight through the input limit
        loss_a = -critic(s, clipped).mean() + ((raw - raw.clamp(*limit)) ** 2).mean()
        opt_a.zero_grad()
        loss_a.backward()
        nn.utils.clip_grad_norm_(actor.parameters(), 10.0)
        opt_a.step()
    with torch.no_grad():
        for net, target in ((actor, actor_target), (critic, critic_target)):
            for p, pt in zip(net.parameters(), target.parameters()):
                pt.mul_(1 - config.tau).add_(config.tau * p)
