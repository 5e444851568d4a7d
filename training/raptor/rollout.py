"""Training rollouts: many sampled vehicles fly whole episodes at once, and every step is labelled by each
vehicle's teacher.

Who flies is the DAgger schedule's choice: the teacher (the first iterations: the student sees what good flight
looks like), or the student with the teacher only labelling (later: the student sees the states its own mistakes
lead to, and learns to recover from them). The observation recorded is what the student saw or would have seen
at that step, built by the controller glue's torch mirror from the state and the previous *executed* action.

Episodes fly relative to a target at the origin, with the episode's constant disturbance force and no ground;
a vehicle that meets the termination criterion is masked out for the rest of its episode and parked at hover
(its rows would only teach the student about states no controller comes back from).
"""
from dataclasses import dataclass

import torch

from tinyctl.controllers import RAPTOR
from tinyctl.training.raptor import domain as domain_lib
from tinyctl.training.raptor import observation as obs_lib
from tinyctl.training.raptor.dynamics import Plant, hover_states


@dataclass
class Episodes:
    """A batch of recorded episodes: observations [B, T, obs], teacher labels [B, T, act], mask [B, T] (alive)."""
    observations: torch.Tensor
    labels: torch.Tensor
    mask: torch.Tensor

    def __len__(self):
        return self.observations.shape[0]

    @property
    def steps(self):
        return int(self.mask.sum())

    @staticmethod
    def cat(parts):
        return Episodes(*(torch.cat([getattr(p, k) for p in parts]) for k in ("observations", "labels", "mask")))

    def __getitem__(self, index):
        return Episodes(self.observations[index], self.labels[index], self.mask[index])


@torch.no_grad()
def collect(vehicles, disturbance, teacher, steps, generator, student=None, action_noise=0.0,
            init=domain_lib.DEFAULT_INITIAL, termination=domain_lib.DEFAULT_TERMINATION, spec=RAPTOR,
            period=RAPTOR.training_period_us * 1e-6):
    """Fly `steps` steps; the student flies when given, else the teacher with Gaussian noise of std `action_noise`
    on its actions (a wider spread of states, and a previous action that is not simply the next label).
    Returns (Episodes, statistics)."""
    b, dtype = len(vehicles), vehicles.mass.dtype
    plant = Plant(vehicles)
    teacher.reset()
    x = domain_lib.sample_initial_states(vehicles, generator, init)
    parked = hover_states(vehicles)
    zeros = torch.zeros(b, 3, dtype=dtype)
    force = disturbance.to(dtype).T.contiguous()
    previous = obs_lib.reset_previous_action(b, spec)
    h = None if student is None else student.initial_state(b)
    obs = torch.zeros(b, steps, spec.observation_size)
    labels = torch.zeros(b, steps, spec.action_size)
    mask = torch.zeros(b, steps, dtype=torch.bool)
    alive = torch.ones(b, dtype=torch.bool)
    for k in range(steps):
        o = obs_lib.build_observation(x, zeros, zeros, previous, spec)
        label = teacher.act(x, zeros, zeros, previous)
        obs[:, k], labels[:, k], mask[:, k] = o, label, alive
        if student is None:
            executed = label
            if action_noise:
                executed = label + action_noise * torch.randn(label.shape, generator=generator)
        else:
            raw, h = student.step(o, h)
            executed = raw
        previous = obs_lib.clip_action(executed, spec)
        u = obs_lib.action_to_motors(previous, spec).to(dtype)
        x = plant.step(x.T.contiguous(), u.T.contiguous(), period, force=force).T
        alive &= ~domain_lib.terminated(x, zeros, termination)
        x = torch.where(alive[:, None], x, parked)
    final = torch.linalg.vector_norm(x[:, 0:3], dim=1)
    stats = {"episodes": b, "steps": int(mask.sum()), "terminated": int((~alive).sum()),
             "final_position_error_median": float(final[alive].median()) if alive.any() else float("nan")}
    return Episodes(obs, labels, mask), stats
