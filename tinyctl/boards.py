"""The board table: compile targets with their compiler flags, and the boards firmware is built for.

Compile targets are the cores code is generated for; boards are concrete machines (emulated here, or real
through PlatformIO) with memory sizes, a clock and an emulator. `build` refuses a model compiled for another
core than the board's.
"""
from dataclasses import dataclass, field

from tinyctl.errors import TinyctlError


@dataclass(frozen=True)
class Target:
    name: str
    cc: str                    # compiler executable
    cflags: tuple              # architecture flags (optimisation flags are chosen by the caller)
    fpu: str                   # "none", "sp" (single precision) or "dp" (double precision)
    description: str


@dataclass(frozen=True)
class Board:
    name: str
    target: str                # a key of TARGETS
    description: str
    flash_origin: int
    flash_size: int
    ram_origin: int
    ram_size: int
    clock_hz: int
    qemu_machine: str = ""     # empty for boards that run natively
    extra: dict = field(default_factory=dict)


_M4F = ("-mcpu=cortex-m4", "-mthumb", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard")
TARGETS = {
    "host": Target("host", "gcc", (), "dp", "the machine tinyctl runs on (software in the loop, verification)"),
    "cortex-m3": Target("cortex-m3", "arm-none-eabi-gcc", ("-mcpu=cortex-m3", "-mthumb", "-mfloat-abi=soft"),
                        "none", "Cortex-M3, no FPU: needs the fixed-point build"),
    "cortex-m4f": Target("cortex-m4f", "arm-none-eabi-gcc", _M4F, "sp", "Cortex-M4 with single-precision FPU"),
    "cortex-m7": Target("cortex-m7", "arm-none-eabi-gcc",
                        ("-mcpu=cortex-m7", "-mthumb", "-mfpu=fpv5-d16", "-mfloat-abi=hard"),
                        "dp", "Cortex-M7 with double-precision FPU"),
}

KB = 1024
BOARDS = {
    "qemu-stm32f405": Board("qemu-stm32f405", "cortex-m4f", "STM32F405, Cortex-M4F 168 MHz: the Crazyflie 2.x MCU",
                            0x08000000, 1024 * KB, 0x20000000, 128 * KB, 168_000_000, "netduinoplus2"),
    "qemu-m4": Board("qemu-m4", "cortex-m4f", "Cortex-M4F on an MPS2 AN386 board",
                     0x00000000, 4096 * KB, 0x20000000, 4096 * KB, 25_000_000, "mps2-an386"),
    "qemu-m7": Board("qemu-m7", "cortex-m7", "Cortex-M7 with double-precision FPU on an MPS2 AN500 board",
                     0x00000000, 4096 * KB, 0x20000000, 4096 * KB, 25_000_000, "mps2-an500"),
    "qemu-m3": Board("qemu-m3", "cortex-m3", "Cortex-M3 without FPU on an MPS2 AN385 board",
                     0x00000000, 4096 * KB, 0x20000000, 4096 * KB, 25_000_000, "mps2-an385"),
    "host": Board("host", "host", "a native process speaking the link over stdio (software in the loop)",
                  0, 0, 0, 0, 0),
}
DEFAULT_BOARD = "qemu-stm32f405"


def target(name):
    try:
        return TARGETS[name]
    except KeyError:
        raise TinyctlError(f"unknown target '{name}': choose one of {', '.join(TARGETS)}") from None


def board(name):
    try:
        return BOARDS[name]
    except KeyError:
        raise TinyctlError(f"unknown board '{name}': choose one of {', '.join(BOARDS)}") from None
