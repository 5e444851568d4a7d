"""The RL teacher: one PPO agent per vehicle, all trained at once on the batched simulator.

RAPTOR trains one SAC agent per quadrotor (1M steps each); here each of K vehicles gets its own actor and critic
(64-64, tanh), stored as stacked weights [K, ...] and evaluated with batched matrix products, so K independent
agents train in one process with one optimizer (Adam and the gradient clipping are per agent, so the agents do
not interact). Each vehicle flies `envs` parallel episodes of the training distribution's initial states, with
its episode's disturbance force; the agents see what RAPTOR's teachers see, the full state including rotor speeds.

An agent commands (collective, roll, pitch, yaw) in [-1, 1], turned into motor commands through its vehicle's
thrust curve and rotor layout (command_motors: zero is hover), as the LQR teacher knows its vehicle's mixer;
what the teacher gives the student is the resulting motor command in the student's action space. Exploring in
independent motor commands instead puts the attitude in torque noise: with the same budget, agents acting on the
motors learned to stay up but not to hold the point.

Reward per step: (exp(-cost) + exp(-(position error / precision)^2)) / 2, cost = position error^2
+ 0.2 velocity^2 + 0.5 (1 - cos tilt) + 0.1 yaw^2 + 0.01 rates^2 + 0.05 |a - a_hover|^2 (an L2F-style shaped cost
of holding a point; the second term pulls the last decimetres in), and -10 when the episode terminates
(domain.terminated). The reward is positive, so flying on is always worth more than ending the episode: with
1 - cost, which is negative far from the target, the agents learned to end their episodes early. PPO with
GAE, observations normalised by running statistics, the exploration noise annealed to almost none, so the
deterministic actor that teaches flies as the policy that was trained.
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
    log_std: float = -1.0             # exploration noise (pre-squash), annealed linearly over the updates ...
    log_std_final: float = -3.0       # ... to this: the agents fly deterministically in the end
    value_coef: float = 0.5
    precision: float = 0.2            # m: half the reward is exp(-(position error / precision)^2)
    grad_clip: float = 0.5            # max gradient norm per agent and step
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


def command_motors(vehicles, command, torque_share=0.25):
    """Motor commands [B, 4] in [0, 1] for agent outputs [B, 4] in [-1, 1]: (collective, roll, pitch, yaw), through
    the vehicle's own thrust curve and rotor layout. Collective 0 is hover, +-1 full or no thrust; each torque
    channel moves the thrust of the rotors on its side by `torque_share` of a rotor's full thrust."""
    r = vehicles.rotor_positions
    signs = torch.stack([torch.sign(r[..., 1]), torch.sign(-r[..., 0]), torch.sign(vehicles.rotor_yaw_directions)],
                        dim=-1)                                               # [B, 4 rotors, 3 torques]
    full = vehicles.thrust(torch.ones(len(vehicles), 1, dtype=r.dtype))      # [B, 1] per rotor
    hover = (vehicles.weight / 4.0)[:, None]
    collective = torch.where(command[:, :1] > 0, full - hover, hover) * command[:, :1]
    f = hover + collective + torque_share * full * (signs @ command[:, 1:, None])[..., 0]
    return torch.clamp(vehicles.motor_for_thrust(torch.clamp(f, min=0.0)), 0.0, 1.0)


def gaussian_logp(x, mean, log_std):
    """Log-density of x under independent normals, summed over the last axis."""
    return (-0.5 * ((x - mean) / log_std.exp()) ** 2 - log_std - 0.5 * math.log(2 * math.pi)).sum(-1)


def clip_per_agent(params, max_norm):
    """Clip each agent's gradient (its slice [i] of every stacked parameter) to `max_norm`, independently."""
    norm = torch.sqrt(sum(p.grad.pow(2).flatten(1).sum(1) for p in params))
    scale = torch.clamp(max_norm / (norm + 1e-6), max=1.0)
    for p in params:
        p.grad.mul_(scale.view(-1, *[1] * (p.dim() - 1)))


def teacher_observation(x, target_position, target_velocity):
    """[B, 22]: position error (clipped to 1 m), rotation matrix, velocity error, body rates, rotor speeds."""
    return torch.cat([torch.clamp(x[:, 0:3] - target_position, -1.0, 1.0), obs_lib.rotation_rows(x[:, 6:10]),
                      x[:, 3:6] - target_velocity, x[:, 10:13], x[:, 13:17]], dim=1).to(torch.float32)


def reward(x, action, hover_action, precision=0.2):
    r = obs_lib.rotation_rows(x[:, 6:10])
    yaw = torch.atan2(r[:, 3], r[:, 0])
    p2 = (x[:, 0:3] ** 2).sum(1)
    cost = p2 + 0.2 * (x[:, 3:6] ** 2).sum(1) + 0.5 * (1.0 - r[:, 8]) + 0.1 * yaw ** 2 \
        + 0.01 * (x[:, 10:13] ** 2).sum(1) + 0.05 * ((action - hover_action) ** 2).sum(1)
    if not precision:
        return torch.exp(-cost)
    return 0.5 * (torch.exp(-cost) + torch.exp(-p2 / precision ** 2))


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
        return obs_lib.motors_to_action(command_motors(self.vehicles.to(torch.float32), out), self.spec)


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
    opt = torch.optim.Adam(list(actor.parameters()) + list(critic.parameters()), lr=c.lr)
    norm = RunningNorm(k, OBS)
    zeros = torch.zeros(k * n, 3)
    x = domain_lib.sample_initial_states(flat, g)
    t = torch.zeros(k * n, dtype=torch.long)
    ep_return, returns_done, history = torch.zeros(k * n), [], []

    def view(a):
        return a.reshape(k, n, *a.shape[1:])

    for update in range(c.updates):
        log_std = torch.tensor(c.log_std + (c.log_std_final - c.log_std) * update / max(1, c.updates - 1))
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
                logp = gaussian_logp(pre, mean, log_std)
            u = command_motors(flat, torch.tanh(pre).reshape(k * n, 4))
            a = obs_lib.motors_to_action(u)
            x = plant.step(x.T.contiguous(), u.T.contiguous(), RAPTOR.training_period_us * 1e-6, force=force).T
            t += 1
            r = reward(x, a, hover, c.precision)
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
                lp = gaussian_logp(act[:, idx], mean, log_std)
                ratio = torch.exp(lp - logp_old[:, idx])
                a_ = adv[:, idx]
                policy_loss = -torch.minimum(ratio * a_, torch.clamp(ratio, 1 - c.clip, 1 + c.clip) * a_).mean(1)
                value_loss = ((critic(obs[:, idx])[..., 0] - ret[:, idx]) ** 2).mean(1)
                loss = (policy_loss + c.value_coef * value_loss).sum()
                opt.zero_grad()
                loss.backward()
                if c.grad_clip:
                    clip_per_agent(opt.param_groups[0]["params"], c.grad_clip)
                opt.step()
        mean_return = sum(returns_done) / len(returns_done) if returns_done else float("nan")
        history.append(mean_return)
        returns_done = []
        if progress is not None:
            progress(update + 1, c.updates, mean_return)
    return PpoTeacher(vehicles, disturbance, actor, norm, history=history)
