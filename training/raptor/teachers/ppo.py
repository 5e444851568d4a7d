"""The RL teacher: one PPO agent per vehicle, all trained at once on the batched simulator.

RAPTOR trains one SAC agent per quadrotor (1M steps each); here each of K vehicles gets its own actor and critic
(64-64, tanh), stored as stacked weights [K, ...] and evaluated with batched matrix products, so K independent
agents train in one process with one optimizer (Adam is per parameter, so the agents do not interact). Each
vehicle flies `envs` parallel episodes of the training distribution's initial states, with its episode's
disturbance force; the agents see what RAPTOR's teachers see, the full state including rotor speeds.

Reward per step (an L2F-style shaped reward for holding a point): 1 - (position error^2 + 0.2 velocity^2
+ 0.5 (1 - cos tilt) + 0.1 yaw^2 + 0.01 rates^2 + 0.05 |a - a_hover|^2), and a penalty of 10 when the
episode terminates (domain.terminated). PPO with GAE; observations normalised by running statistics.
"""
import math
from dataclasses import dataclass

import torch

from tinyctl.controllers import RAPTOR
from tinyctl.training.raptor import domain as domain_lib
from tinyctl.training.raptor import observation as obs_lib
from tinyctl.training.raptor.dynamics import Plant
from tinyctl.training.raptor.teachers.base import Teacher

OBS = 22  # position error 3, rotation 9, velocity 3, rates 3, motors 4


@dataclass(frozen=True)
class PpoConfig:
    envs: int = 64                    # parallel episodes per vehicle
    horizon: int = 64                 # steps per rollout
    updates: int = 300                # PPO updates
    episode_steps: int = 500
    epochs: int = 4
    minibatches: int = 4
    gamma: float = 0.99
    lam: float = 0.95
    clip: float = 0.2
    lr: float = 1e-3
    hidden: int = 64
    log_std: float = -1.0
    value_coef: float = 0.5
    seed: int = 0


class StackedMLP(torch.nn.Module):
    """K independent tanh MLPs; x [K, N, in] -> [K, N, out]."""

    def __init__(self, k, sizes, generator, out_scale=1.0):
        super().__init__()
        self.weights, self.biases = torch.nn.ParameterList(), torch.nn.ParameterList()
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            scale = (out_scale if i == len(sizes) - 2 else math.sqrt(2.0)) / math.sqrt(a)
            self.weights.append(torch.nn.Parameter(torch.randn(k, a, b, generator=generator) * scale))
            self.biases.append(torch.nn.Parameter(torch.zeros(k, 1, b)))

    def forward(self, x):
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            x = torch.baddbmm(b, x, w)
            if i < len(self.weights) - 1:
                x = torch.tanh(x)
        return x


class RunningNorm:
    def __init__(self, k, n):
        self.mean, self.var, self.count = torch.zeros(k, 1, n), torch.ones(k, 1, n), 1e-4

    def update(self, x):
        m, v, c = x.mean(dim=1, keepdim=True), x.var(dim=1, keepdim=True), x.shape[1]
        delta, total = m - self.mean, self.count + c
        self.mean = self.mean + delta * c / total
        self.var = (self.var * self.count + v * c + delta ** 2 * self.count * c / total) / total
        self.count = total

    def __call__(self, x):
        return torch.clamp((x - self.mean) / torch.sqrt(self.var + 1e-8), -10.0, 10.0)

    def normalize(self, x, agent):
        """x [N, n] with agent `agent`'s statistics."""
        return torch.clamp((x - self.mean[agent]) / torch.sqrt(self.var[agent] + 1e-8), -10.0, 10.0)


def teacher_observation(x, target_position, target_velocity):
    """[B, 22]: position error (clipped to 1 m), rotation matrix, velocity error, body rates, rotor speeds."""
    return torch.cat([torch.clamp(x[:, 0:3] - target_position, -1.0, 1.0), obs_lib.rotation_rows(x[:, 6:10]),
                      x[:, 3:6] - target_velocity, x[:, 10:13], x[:, 13:17]], dim=1).to(torch.float32)


def reward(x, action, hover_action):
    r = obs_lib.rotation_rows(x[:, 6:10])
    yaw = torch.atan2(r[:, 3], r[:, 0])
    cost = (x[:, 0:3] ** 2).sum(1) + 0.2 * (x[:, 3:6] ** 2).sum(1) + 0.5 * (1.0 - r[:, 8]) + 0.1 * yaw ** 2 \
        + 0.01 * (x[:, 10:13] ** 2).sum(1) + 0.05 * ((action - hover_action) ** 2).sum(1)
    return 1.0 - cost


class PpoTeacher(Teacher):
    name = "ppo"

    def __init__(self, vehicles, disturbance, actor, norm, spec=RAPTOR, index=None, history=None):
        super().__init__(vehicles, disturbance)
        self.actor, self.norm, self.spec = actor, norm, spec
        self.index = torch.arange(len(vehicles)) if index is None else index   # which agent flies each row
        self.history = history or []

    def select(self, index):
        idx = self.index[index]
        return PpoTeacher(self.vehicles[index], self.disturbance[index], self.actor, self.norm, self.spec, idx,
                          self.history)

    @torch.no_grad()
    def act(self, x, target_position, target_velocity, previous_action):
        o = teacher_observation(x, target_position, target_velocity)
        k = self.actor.weights[0].shape[0]
        # route each row through its own agent: gather rows per agent, run all agents, scatter back
        out = torch.zeros(len(o), 4)
        for agent in range(k):
            rows = (self.index == agent).nonzero()[:, 0]
            if len(rows):
                h = self.norm.normalize(o[rows], agent)[None]
                layers = list(zip(self.actor.weights, self.actor.biases))
                for i, (w, b) in enumerate(layers):
                    h = torch.baddbmm(b[agent:agent + 1], h, w[agent:agent + 1])
                    if i < len(layers) - 1:
                        h = torch.tanh(h)
                out[rows] = torch.tanh(h[0])
        return out


def train_ppo_teachers(vehicles, disturbance, config=PpoConfig(), progress=None):
    """Train one PPO agent per vehicle; returns a PpoTeacher (history: mean episode return per update)."""
    c = config
    g = torch.Generator().manual_seed(c.seed)
    k, n = len(vehicles), c.envs
    v32 = vehicles.to(torch.float32)
    rep = torch.arange(k).repeat_interleave(n)                                  # env row -> vehicle
    flat = v32[rep]
    plant = Plant(flat)
    force = disturbance.to(torch.float32)[rep].T.contiguous()
    hover = (2.0 * v32.hover_motor - 1.0)[rep][:, None].expand(-1, 4)
    actor = StackedMLP(k, (OBS, c.hidden, c.hidden, 4), g, out_scale=0.01)
    critic = StackedMLP(k, (OBS, c.hidden, c.hidden, 1), g, out_scale=1.0)
    log_std = torch.nn.Parameter(torch.full((k, 1, 4), c.log_std))
    opt = torch.optim.Adam(list(actor.parameters()) + list(critic.parameters()) + [log_std], lr=c.lr)
    norm = RunningNorm(k, OBS)
    zeros = torch.zeros(k * n, 3)
    x = domain_lib.sample_initial_states(flat, g)
    t = torch.zeros(k * n, dtype=torch.long)
    ep_return, returns_done, history = torch.zeros(k * n), [], []

    def view(a):
        return a.reshape(k, n, *a.shape[1:])

    for update in range(c.updates):
        buf = {key: [] for key in ("obs", "act", "logp", "rew", "done", "val")}
        for _ in range(c.horizon):
            o = teacher_observation(x, zeros, zeros)
            norm.update(view(o))
            on = norm(view(o))
            with torch.no_grad():
                mean = actor(on)
                value = critic(on)[..., 0]
                std = log_std.exp()
                pre = mean + std * torch.randn(mean.shape, generator=g)
                logp = (-0.5 * ((pre - mean) / std) ** 2 - log_std - 0.5 * math.log(2 * math.pi)).sum(-1)
            a = torch.tanh(pre).reshape(k * n, 4)
            u = obs_lib.action_to_motors(a)
            x = plant.step(x.T.contiguous(), u.T.contiguous(), RAPTOR.training_period_us * 1e-6, force=force).T
            t += 1
            r = reward(x, a, hover)
            dead = domain_lib.terminated(x, zeros)
            done = dead | (t >= c.episode_steps)
            r = torch.where(dead, torch.full_like(r, -10.0), torch.nan_to_num(r))
            ep_return += r
            for key, val in (("obs", on), ("act", pre), ("logp", logp), ("rew", view(r)), ("done", view(done)),
                             ("val", value)):
                buf[key].append(val)
            if done.any():
                returns_done.extend(ep_return[done].tolist())
                ep_return[done] = 0.0
                t[done] = 0
                fresh = domain_lib.sample_initial_states(flat, g)
                x = torch.where(done[:, None], fresh, x)
        with torch.no_grad():
            last = critic(norm(view(teacher_observation(x, zeros, zeros))))[..., 0]
        obs, act, logp_old = (torch.stack(buf[key], 2) for key in ("obs", "act", "logp"))   # [K, N, T, ...]
        rew, done, val = (torch.stack(buf[key], 2) for key in ("rew", "done", "val"))
        adv = torch.zeros_like(rew)
        gae = torch.zeros(k, n)
        for s in reversed(range(c.horizon)):
            nxt = last if s == c.horizon - 1 else val[:, :, s + 1]
            nonterminal = (~done[:, :, s]).float()
            delta = rew[:, :, s] + c.gamma * nxt * nonterminal - val[:, :, s]
            gae = delta + c.gamma * c.lam * nonterminal * gae
            adv[:, :, s] = gae
        ret = adv + val
        samples = n * c.horizon
        obs, act, logp_old = obs.reshape(k, samples, OBS), act.reshape(k, samples, 4), logp_old.reshape(k, samples)
        adv, ret = adv.reshape(k, samples), ret.reshape(k, samples)
        adv = (adv - adv.mean(1, keepdim=True)) / (adv.std(1, keepdim=True) + 1e-8)
        size = samples // c.minibatches
        for _ in range(c.epochs):
            perm = torch.randperm(samples, generator=g)
            for j in range(c.minibatches):
                idx = perm[j * size:(j + 1) * size]
                mean = actor(obs[:, idx])
                lp = (-0.5 * ((act[:, idx] - mean) / log_std.exp()) ** 2 - log_std
                      - 0.5 * math.log(2 * math.pi)).sum(-1)
                ratio = torch.exp(lp - logp_old[:, idx])
                a_ = adv[:, idx]
                policy_loss = -torch.minimum(ratio * a_, torch.clamp(ratio, 1 - c.clip, 1 + c.clip) * a_).mean(1)
                value_loss = ((critic(obs[:, idx])[..., 0] - ret[:, idx]) ** 2).mean(1)
                loss = (policy_loss + c.value_coef * value_loss).sum()
                opt.zero_grad()
                loss.backward()
                opt.step()
        mean_return = sum(returns_done) / len(returns_done) if returns_done else float("nan")
        history.append(mean_return)
        returns_done = []
        if progress is not None:
            progress(update + 1, c.updates, mean_return)
    return PpoTeacher(vehicles, disturbance, actor, norm, history=history)
