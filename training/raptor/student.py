"""The student: RAPTOR's architecture, Dense(ReLU) -> GRU -> Dense, sizes configurable (default 22 -> 16 -> 16 -> 4).

The GRU is PyTorch's (gates r, z, n), which is exactly the published checkpoint's cell, so the published RAPTOR
policy loads into the same module (`Student.from_raptor()`) and both fly through the same code everywhere:
training rollouts, evaluation, export.

    student = Student()
    actions, h = student(observations [B, T, 22], h0=None)       # a whole sequence (training, BPTT)
    action, h = student.step(observation [B, 22], h [B, 16])     # one control step (rollouts, export)
"""
from dataclasses import asdict, dataclass

import torch
from torch import nn

from tinyctl.controllers import RAPTOR


@dataclass(frozen=True)
class StudentShape:
    observation: int = RAPTOR.observation_size   # 22
    dense: int = 16
    hidden: int = 16
    action: int = RAPTOR.action_size             # 4

    def to_dict(self):
        return asdict(self)


class Student(nn.Module):
    def __init__(self, shape=StudentShape()):
        super().__init__()
        self.shape = shape
        self.dense = nn.Linear(shape.observation, shape.dense)
        self.gru = nn.GRU(shape.dense, shape.hidden, batch_first=True)
        self.out = nn.Linear(shape.hidden, shape.action)

    def initial_state(self, batch):
        return torch.zeros(batch, self.shape.hidden)

    def forward(self, observations, h0=None):
        """observations [B, T, obs] -> (raw actions [B, T, action], last hidden state [B, hidden])."""
        z = torch.relu(self.dense(observations))
        h0 = None if h0 is None else h0.unsqueeze(0).contiguous()
        y, h = self.gru(z, h0)
        return self.out(y), h.squeeze(0)

    def step(self, observation, h):
        """One step: observation [B, obs], h [B, hidden] -> (raw action [B, action], next h [B, hidden])."""
        z = torch.relu(self.dense(observation))
        h = torch.gru_cell(z, h, self.gru.weight_ih_l0, self.gru.weight_hh_l0, self.gru.bias_ih_l0,
                           self.gru.bias_hh_l0)
        return self.out(h), h

    def parameter_count(self):
        return sum(p.numel() for p in self.parameters())

    @classmethod
    def from_raptor(cls, checkpoint=None):
        """The published RAPTOR foundation policy (foundation-policy 1.0.2) in this module."""
        from tinyctl.training.foundation import load_checkpoint
        w, _ = load_checkpoint(checkpoint)
        s = cls(StudentShape(w["w0"].shape[1], w["w0"].shape[0], w["w_hh"].shape[1], w["w2"].shape[0]))
        with torch.no_grad():
            for param, key in ((s.dense.weight, "w0"), (s.dense.bias, "b0"), (s.gru.weight_ih_l0, "w_ih"),
                               (s.gru.weight_hh_l0, "w_hh"), (s.gru.bias_ih_l0, "b_ih"), (s.gru.bias_hh_l0, "b_hh"),
                               (s.out.weight, "w2"), (s.out.bias, "b2")):
                param.copy_(torch.as_tensor(w[key]).reshape(param.shape))
        return s
