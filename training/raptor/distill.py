"""Meta-imitation: DAgger-style distillation of per-vehicle teachers into one recurrent student.

Each iteration samples fresh vehicles from the RAPTOR distribution (the teachers are cheap, so the student never
sees the same vehicle twice and cannot memorise one), flies them for a whole episode and adds the labelled
episodes to a buffer of the most recent iterations; then the student trains on the buffer:
  - the first `teacher_iterations` iterations the teachers fly (with some action noise), as RAPTOR's first
    epochs do; afterwards the student flies and the teachers only label (DAgger), except for a fraction
    `teacher_share` of episodes that the teachers keep flying, so the buffer always shows good flight too;
  - truncated back-propagation through time over full episodes: a minibatch of episodes runs from its first step
    to its last in windows of `bptt` steps, the hidden state carried (detached) from one window to the next and
    an optimizer step after each window: the GRU learns from the whole history it will see in flight, at a
    fraction of the cost of one gradient step per episode;
  - loss: mean squared error between the student's raw action and the teacher's, on the steps before an
    episode ended.
"""
import math
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch

from tinyctl.training.raptor import domain as domain_lib
from tinyctl.training.raptor.rollout import Episodes, collect
from tinyctl.training.raptor.teachers import make_teacher


@dataclass(frozen=True)
class DistillConfig:
    iterations: int = 40
    vehicles: int = 512               # sampled (fresh) per iteration
    steps: int = 500                  # per episode (5 s at 100 Hz, RAPTOR's episode length)
    teacher_iterations: int = 4       # the teachers fly these first iterations
    teacher_share: float = 0.2        # afterwards, this share of episodes is still flown by the teachers
    blend_iterations: int = 6         # then the student's actions are blended with the teachers', the teachers'
                                      # weight falling linearly from 1 to 0 over these iterations
    action_noise: float = 0.1         # std of the noise added to the teachers' actions when they fly
    buffer_iterations: int = 8        # the buffer holds this many recent iterations
    epochs: int = 1                   # passes over the buffer per iteration
    batch: int = 256                  # episodes per minibatch
    bptt: int = 100                   # steps per truncated-BPTT window
    lr: float = 3e-3
    lr_final: float = 3e-4            # cosine decay to this over the run
    grad_clip: float = 1.0
    teacher: str = "lqr"
    seed: int = 0

    def to_dict(self):
        return asdict(self)


def learning_rate(config, iteration):
    frac = iteration / max(1, config.iterations - 1)
    return config.lr_final + 0.5 * (config.lr - config.lr_final) * (1 + math.cos(math.pi * frac))


def train_epoch(student, optimizer, data, config, generator):
    """One pass over `data` in minibatches of episodes, truncated BPTT in windows; returns the mean loss."""
    losses, weights = [], []
    order = torch.randperm(len(data), generator=generator)
    for start in range(0, len(data), config.batch):
        batch = data[order[start:start + config.batch]]
        h = None
        for t0 in range(0, batch.observations.shape[1], config.bptt):
            window = slice(t0, t0 + config.bptt)
            mask = batch.mask[:, window]
            n = int(mask.sum())
            out, h = student(batch.observations[:, window], h)
            h = h.detach()
            if n == 0:
                continue
            err = ((out - batch.labels[:, window]) ** 2).sum(dim=-1)
            loss = torch.where(mask, err, torch.zeros_like(err)).sum() / n
            optimizer.zero_grad()
            loss.backward()
            if config.grad_clip:
                torch.nn.utils.clip_grad_norm_(student.parameters(), config.grad_clip)
            optimizer.step()
            losses.append(float(loss.detach()))
            weights.append(n)
    return float(np.average(losses, weights=weights)) if losses else float("nan")


class Distiller:
    """The DAgger loop's state (student, optimizer, buffer, history, generator): everything a checkpoint holds."""

    def __init__(self, student, config, ranges=domain_lib.DEFAULT_RANGES, init=domain_lib.DEFAULT_INITIAL,
                 termination=domain_lib.DEFAULT_TERMINATION):
        self.student, self.config = student, config
        self.ranges, self.init, self.termination = ranges, init, termination
        self.optimizer = torch.optim.Adam(student.parameters(), lr=config.lr)
        self.generator = torch.Generator().manual_seed(config.seed)
        self.buffer = []
        self.iteration = 0
        self.history = []

    def teacher_weight(self, iteration):
        c = self.config
        k = iteration - c.teacher_iterations + 1
        return max(0.0, 1.0 - k / (c.blend_iterations + 1)) if c.blend_iterations else 0.0

    def iterate(self):
        """One DAgger iteration: collect, then train. Returns its history row."""
        c, g, it = self.config, self.generator, self.iteration
        t0 = time.perf_counter()
        vehicles = domain_lib.sample_vehicles(c.vehicles, g, self.ranges).to(torch.float32)
        disturbance = domain_lib.sample_disturbances(vehicles, g, self.ranges)
        teacher = make_teacher(c.teacher, vehicles, disturbance)
        student_flies = it >= c.teacher_iterations
        n_teacher = int(round(c.teacher_share * c.vehicles)) if student_flies else c.vehicles
        parts, stats = [], {}
        if n_teacher:
            idx = slice(0, n_teacher)
            data, stats["teacher"] = collect(vehicles[idx], disturbance[idx], teacher.select(idx), c.steps, g,
                                             action_noise=c.action_noise, init=self.init,
                                             termination=self.termination)
            parts.append(data)
        if n_teacher < c.vehicles:
            idx = slice(n_teacher, c.vehicles)
            self.student.eval()
            data, stats["student"] = collect(vehicles[idx], disturbance[idx], teacher.select(idx), c.steps, g,
                                             student=self.student, teacher_weight=self.teacher_weight(it),
                                             init=self.init, termination=self.termination)
            parts.append(data)
        self.buffer = (self.buffer + [Episodes.cat(parts)])[-c.buffer_iterations:]
        t1 = time.perf_counter()
        lr = learning_rate(c, it)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        self.student.train()
        data = Episodes.cat(self.buffer)
        loss = float("nan")
        for _ in range(c.epochs):
            loss = train_epoch(self.student, self.optimizer, data, c, g)
        t2 = time.perf_counter()
        row = {"iteration": it, "lr": lr, "teacher_weight": self.teacher_weight(it) if student_flies else 1.0, "loss": loss, "buffer_episodes": len(data), "collect_s": t1 - t0,
               "train_s": t2 - t1, "student_flies": student_flies}
        if "student" in stats:
            row["student_terminated"] = stats["student"]["terminated"] / max(1, stats["student"]["episodes"])
            row["student_final_error"] = stats["student"]["final_position_error_median"]
        self.history.append(row)
        self.iteration += 1
        return row

    def state_dict(self):
        return {"student": self.student.state_dict(), "optimizer": self.optimizer.state_dict(),
                "generator": self.generator.get_state(), "buffer": self.buffer, "iteration": self.iteration,
                "history": self.history, "config": self.config.to_dict()}

    def load_state_dict(self, d):
        self.student.load_state_dict(d["student"])
        self.optimizer.load_state_dict(d["optimizer"])
        self.generator.set_state(d["generator"])
        self.buffer, self.iteration, self.history = d["buffer"], d["iteration"], d["history"]
