"""What the harness asks of an executor: one policy, run somewhere, answering STATE with motor commands.

    ex.begin(episode)                  # before each flight (resets the controller)
    r = ex.step(state)                 # link_protocol.State -> StepResult
    ex.describe()                      # where and how it runs, for the report
    ex.close()

Executors: `reference` (the ONNX in onnxruntime, float), `sil` (the compiled C on the host), `pil` (the model's
step from the firmware ELF in unicorn), `qemu` (the firmware in QEMU over the link, lock-step), `port` (a real
board over its serial port, same link), and `se3` (RotorPy's geometric controller, a baseline). The first three
and the firmware share the controller glue (tinyctl.controllers): same observation, clipping, dual-rate commit.
"""
from dataclasses import dataclass, field

import numpy as np

from tinyctl.errors import TinyctlError


class ExecutorFault(TinyctlError):
    """The executor stopped answering sensibly: crashed, hung, garbage, failsafe. Carries what it last said."""

    def __init__(self, message, last_text="", step=None):
        super().__init__(message)
        self.last_text = last_text
        self.step = step


@dataclass
class StepResult:
    motors: np.ndarray                 # commands in [0, 1], M1..M4
    cost: float = None                 # instructions or cycles of this step, if measured
    committed: bool = False            # the recurrent state was committed at this step
    failsafe: bool = False
    errors: list = field(default_factory=list)   # texts of ERROR frames that came with the reply
    raw: np.ndarray = None             # the policy's raw outputs, when known


class Executor:
    name = "executor"
    cost_unit = None                   # "instructions", "cycles" or None
    control_period_us = 10_000

    def begin(self, episode):
        self.reset()

    def reset(self):
        raise NotImplementedError

    def step(self, state):
        raise NotImplementedError

    def describe(self):
        return {"executor": self.name, "control_period_us": self.control_period_us, "cost_unit": self.cost_unit}

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
