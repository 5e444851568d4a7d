"""Where the policy runs (see base.py)."""
from tinyctl.hil_tests.executors.base import Executor, ExecutorFault, StepResult
from tinyctl.hil_tests.executors.inprocess import (OnnxModel, find_onnx, pil_executor, reference_executor,
                                                   sil_executor)

EXECUTORS = ("qemu", "pil", "sil", "reference", "se3")


def make_executor(name, model_dir=None, firmware=None, onnx=None, port=None, controller=None, control_period_us=None):
    """An executor by name (`port` selects the real-board executor whatever the name)."""
    from tinyctl.errors import TinyctlError
    if port:
        from tinyctl.hil_tests.executors.firmware import port_executor
        return port_executor(port)
    if name == "reference":
        return reference_executor(model_dir, onnx, controller, control_period_us)
    if name == "sil":
        return sil_executor(model_dir, controller, control_period_us)
    if name in ("pil", "qemu") and firmware is None:
        raise TinyctlError(f"the {name} executor runs the firmware: pass --firmware FW.elf (tinyctl build makes one)")
    if name == "pil":
        return pil_executor(firmware, model_dir, controller, control_period_us)
    if name == "qemu":
        from tinyctl.hil_tests.executors.firmware import qemu_executor
        return qemu_executor(firmware)
    if name == "se3":
        from tinyctl.hil_tests.executors.se3 import Se3Executor
        return Se3Executor(control_period_us=control_period_us or 10_000)
    raise TinyctlError(f"unknown executor '{name}': choose one of {', '.join(EXECUTORS)}")


__all__ = ["EXECUTORS", "Executor", "ExecutorFault", "OnnxModel", "StepResult", "find_onnx", "make_executor",
           "pil_executor", "reference_executor", "sil_executor"]
