"""Meta-imitation: DAgger-style distillation of per-vehicle teachers into one recurrent student.

Each iteration samples fresh vehicles from the RAPTOR distribution (the teachers are cheap, so the student never
sees the same vehicle twice and cannot memorise one), flies them for a whole episode and adds the labelled
episodes to a buffer of the most recent iterations; then the student trains on the buffer:
  - the first `teacher_iterations` iterations the teachers fly, with white noise on their actions (so the
    previous action the student sees is not simply the next label: a student that copies its previous action
    does not learn to fly), as RAPTOR's first epochs do; afterwards the student flies and the teachers only
    label (DAgger), except for a share `teacher_share` of episodes that the teachers keep flying, so the buffer
    always shows good flight too;
  - truncated back-propagation through time over full episodes: a minibatch of episodes runs from its first step
    to its last in windows of `bptt` steps, the hidden state carried (detached) from one window to the next and
    an optimizer step after each window: the GRU learns from the whole history it will see in flight, at a
    fraction of the cost of one gradient step per episode;
  - loss: a Huber loss on the actions (squared below `huber`, linear above), on the steps before an episode
    ended. The first steps of an episode carry large errors nobody can avoid (the student does not know the
    vehicle yet); the linear part keeps them from drowning the small errors that decide steady-state precision.

Collection and training overlap when a worker process collects (`workers=1`): iteration k+1 is flown by the
student as it was after iteration k-1 while the main process trains on iteration k, which keeps both cores busy
(torch's own intra-op threads are slower than one thread for tensors this small). Every iteration draws its
vehicles from a generator seeded by (seed, iteration), so a run is reproducible and resumes identically.
"""
import math
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from tinyctl.errors import TinyctlError
from tinyctl.training.raptor import domain as domain_lib
from tinyctl.training.raptor.rollout import Episodes, collect
from tinyctl.training.raptor.teachers import make_teacher
from tinyctl.training.raptor.teachers.lqr import LqrWeights


@dataclass(frozen=True)
class DistillConfig:
    iterations: int = 100
    vehicles: int = 512               # sampled (fresh) per iteration
    steps: int = 500                  # per episode (5 s at 100 Hz, RAPTOR's episode length)
    teacher_iterations: int = 4       # the teachers fly these first iterations
    teacher_share: float = 0.2        # afterwards, this share of episodes is still flown by the teachers
    action_noise: float = 0.2         # std of the white noise on the teachers' actions when they fly
    buffer_iterations: int = 8        # the buffer holds this many recent iterations
    epochs: int = 1                   # passes over the buffer per iteration
    batch: int = 256                  # episodes per minibatch
    bptt: int = 100                   # steps per truncated-BPTT window
    lr: float = 3e-3
    lr_final: float = 1e-4            # cosine decay to this over the run (docs/training-raptor.md)
    grad_clip: float = 1.0
    huber: float = 0.1                # threshold of the Huber loss per action (0: squared error)
    teacher: str = "lqr"
    lqr: LqrWeights = field(default_factory=LqrWeights)   # the LQR teachers' cost
    domain: str = "raptor"            # the vehicle distribution (training.raptor.domain.DOMAINS)
    seed: int = 0
    dense: int = 16                   # the student's sizes between RAPTOR's observation and action
    hidden: int = 16                  # (Dense 22 -> dense, GRU hidden, Dense hidden -> 4)

    def to_dict(self):
        return asdict(self)


def learning_rate(config, iteration):
    frac = iteration / max(1, config.iterations - 1)
    return config.lr_final + 0.5 * (config.lr - config.lr_final) * (1 + math.cos(math.pi * frac))


def action_loss(out, labels, huber):
    """Per-step loss [B, T], summed over actions; the Huber loss is scaled by 2 / threshold: e^2 / threshold below
    it, 2 |e| - threshold above."""
    if huber:
        return torch.nn.functional.huber_loss(out, labels, reduction="none", delta=huber).sum(dim=-1) * (2.0 / huber)
    return ((out - labels) ** 2).sum(dim=-1)


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
            err = action_loss(out, batch.labels[:, window], config.huber)
            loss = torch.where(mask, err, torch.zeros_like(err)).sum() / n
            optimizer.zero_grad()
            loss.backward()
            if config.grad_clip:
                torch.nn.utils.clip_grad_norm_(student.parameters(), config.grad_clip)
            optimizer.step()
            losses.append(float(loss.detach()))
            weights.append(n)
    return float(np.average(losses, weights=weights)) if losses else float("nan")


@dataclass(frozen=True)
class Task:
    """What one iteration's collection needs: everything is data, so it can run in another process."""
    config: DistillConfig
    iteration: int
    student: dict                     # the student's state_dict (None while the teachers fly)
    shape: dict
    init: object = domain_lib.DEFAULT_INITIAL
    termination: object = domain_lib.DEFAULT_TERMINATION


def collect_iteration(task):
    """Sample the iteration's vehicles, build their teachers and fly; returns (Episodes, stats)."""
    from tinyctl.training.raptor.student import Student, StudentShape
    c, it = task.config, task.iteration
    t0, c0 = time.perf_counter(), time.process_time()
    g = torch.Generator().manual_seed(c.seed * 1_000_003 + it)
    ranges = domain_lib.ranges(c.domain)
    vehicles = domain_lib.sample_vehicles(c.vehicles, g, ranges).to(torch.float32)
    disturbance = domain_lib.sample_disturbances(vehicles, g, ranges)
    teacher = make_teacher(c.teacher, vehicles, disturbance, **({"weights": c.lqr} if c.teacher == "lqr" else {}))
    student = None
    if task.student is not None:
        student = Student(StudentShape(**task.shape))
        student.load_state_dict(task.student)
        student.eval()
    n_teacher = c.vehicles if student is None else int(round(c.teacher_share * c.vehicles))
    parts, stats = [], {}
    if n_teacher:
        idx = slice(0, n_teacher)
        data, stats["teacher"] = collect(vehicles[idx], disturbance[idx], teacher.select(idx), c.steps, g,
                                         action_noise=c.action_noise, init=task.init, termination=task.termination)
        parts.append(data)
    if n_teacher < c.vehicles:
        idx = slice(n_teacher, c.vehicles)
        data, stats["student"] = collect(vehicles[idx], disturbance[idx], teacher.select(idx), c.steps, g,
                                         student=student, init=task.init, termination=task.termination)
        parts.append(data)
    stats["collect_s"], stats["collect_cpu_s"] = time.perf_counter() - t0, time.process_time() - c0
    return Episodes.cat(parts), stats


class InlineCollector:
    """Collects in this process when asked for the result."""

    def __init__(self):
        self.task = None

    def submit(self, task):
        self.task = task

    def result(self):
        task, self.task = self.task, None
        return collect_iteration(task)

    def close(self):
        pass


def _worker(tasks, results):
    torch.set_num_threads(1)
    while True:
        task = tasks.get()
        if task is None:
            return
        try:
            results.put(("ok",) + collect_iteration(task))
        except Exception as e:                                     # noqa: BLE001 (re-raised in the main process)
            results.put(("error", f"{type(e).__name__}: {e}", None))


class ProcessCollector:
    """Collects in a worker process (spawned, one torch thread), overlapping the main process's training."""

    def __init__(self):
        ctx = torch.multiprocessing.get_context("spawn")
        self.tasks, self.results = ctx.Queue(), ctx.Queue()
        self.process = ctx.Process(target=_worker, args=(self.tasks, self.results), daemon=True)
        self.process.start()

    def submit(self, task):
        self.tasks.put(task)

    def result(self):
        import queue
        while True:
            try:
                status, a, b = self.results.get(timeout=1.0)
                break
            except queue.Empty:
                if not self.process.is_alive():
                    raise TinyctlError(
                        f"the collector process died (exit code {self.process.exitcode}); a script that calls "
                        "train() must guard it with `if __name__ == '__main__':` (the worker is spawned and "
                        "imports the main module), or pass workers=0 (--workers 0)") from None
        if status != "ok":
            raise TinyctlError(f"the collector process failed: {a}")
        return a, b

    def close(self):
        if self.process.is_alive():
            self.tasks.put(None)
            self.process.join(timeout=10)
            if self.process.is_alive():
                self.process.terminate()


class Distiller:
    """The DAgger loop's state (student, optimizer, buffer, history, generator). A checkpoint holds all of it but
    the buffer (hundreds of MB): a resumed run refills it over its next iterations."""

    def __init__(self, student, config, init=domain_lib.DEFAULT_INITIAL, termination=domain_lib.DEFAULT_TERMINATION,
                 collector=None):
        self.student, self.config = student, config
        self.init, self.termination = init, termination
        self.optimizer = torch.optim.Adam(student.parameters(), lr=config.lr)
        self.generator = torch.Generator().manual_seed(config.seed)
        self.collector = collector or InlineCollector()
        self.pending = None
        self.buffer = []
        self.iteration = 0
        self.history = []

    def _task(self, iteration):
        student_flies = iteration >= self.config.teacher_iterations
        weights = {k: v.detach().clone() for k, v in self.student.state_dict().items()} if student_flies else None
        return Task(self.config, iteration, weights, self.student.shape.to_dict(), self.init, self.termination)

    def iterate(self):
        """One DAgger iteration: this iteration's episodes (collected meanwhile, or now), then training.
        Returns its history row."""
        c, it = self.config, self.iteration
        t0 = time.perf_counter()
        if self.pending != it:
            self.collector.submit(self._task(it))
        data, stats = self.collector.result()
        self.pending = None
        if it + 1 < c.iterations:                          # the next iteration flies while this one trains
            self.collector.submit(self._task(it + 1))
            self.pending = it + 1
        self.buffer = (self.buffer + [data])[-c.buffer_iterations:]
        t1, c1 = time.perf_counter(), time.process_time()
        lr = learning_rate(c, it)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        self.student.train()
        episodes = Episodes.cat(self.buffer)
        loss = float("nan")
        for _ in range(c.epochs):
            loss = train_epoch(self.student, self.optimizer, episodes, c, self.generator)
        self.student.eval()
        row = {"iteration": it, "lr": lr, "loss": loss, "buffer_episodes": len(episodes),
               "student_flies": "student" in stats, "collect_s": stats["collect_s"],
               "collect_cpu_s": stats["collect_cpu_s"], "wait_s": t1 - t0, "train_s": time.perf_counter() - t1,
               "train_cpu_s": time.process_time() - c1}
        if "student" in stats:
            row["student_terminated"] = stats["student"]["terminated"] / max(1, stats["student"]["episodes"])
            row["student_final_error"] = stats["student"]["final_position_error_median"]
        self.history.append(row)
        self.iteration += 1
        return row

    def close(self):
        self.collector.close()

    def state_dict(self):
        return {"student": self.student.state_dict(), "optimizer": self.optimizer.state_dict(),
                "generator": self.generator.get_state(), "iteration": self.iteration, "history": self.history,
                "config": self.config.to_dict()}

    def load_state_dict(self, d):
        self.student.load_state_dict(d["student"])
        self.optimizer.load_state_dict(d["optimizer"])
        self.generator.set_state(d["generator"])
        self.iteration, self.history = d["iteration"], d["history"]
