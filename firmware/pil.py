"""Processor in the loop: the model's step function from the firmware ELF, executed in unicorn (the Cortex-M4
model; M7 code on the ARMv8-A model, see _cpu_models), with the exact number of instructions each step executed.

The ELF's load segments are mapped as the firmware sees them after reset (.data at its RAM address, .bss zero);
the step runs with its arguments in a scratch region no board uses. Instructions are counted per basic block from
the block's Thumb encoding, so condition-failed instructions inside IT blocks count as QEMU counts them.

    pil = PilRunner("build/fw/firmware.elf")
    state = pil.reset()
    out, state, instructions = pil.step(x, state)
"""
import json
import os

import numpy as np

from tinyctl.errors import TinyctlError
from tinyctl.firmware.elf import EM_ARM, Elf

PAGE = 0x1000
SCRATCH = 0x30000000           # above every board's RAM, below the peripherals
SCRATCH_SIZE = 0x40000
STACK_TOP = SCRATCH + SCRATCH_SIZE - 16
RETURN = SCRATCH + 0x10        # the step "returns" here: emulation stops at this address


def _cpu_models():
    """target -> (unicorn CPU model, M-profile?). unicorn 2.1.4's Cortex-M7 has no double-precision FPU, yet the
    fpv5-d16 build uses it (newlib's expf computes in double) along with FPv5's vsel; the step function is plain
    Thumb-2 + FPv5 code, which unicorn's ARMv8-A ("max") model decodes and executes the same way, instruction
    for instruction (no M-profile system instruction runs inside a step)."""
    import unicorn.arm_const as a
    return {"cortex-m3": (a.UC_CPU_ARM_CORTEX_M3, True), "cortex-m4f": (a.UC_CPU_ARM_CORTEX_M4, True),
            "cortex-m7": (a.UC_CPU_ARM_MAX, False)}


def thumb_instructions(code):
    """How many Thumb instructions a byte string holds (a halfword 0b11101/0b11110/0b11111... starts a 32-bit one)."""
    n = i = 0
    while i + 1 < len(code):
        i += 4 if (code[i + 1] >> 3) in (0x1D, 0x1E, 0x1F) else 2
        n += 1
    return n


class PilRunner:
    def __init__(self, elf_path, model=None, target=None, sizes=None):
        """elf_path: a firmware ELF (its firmware.json beside it names the model, the target and the sizes; or
        pass them: model name, target "cortex-m4f"/"cortex-m7", sizes {"in", "out", "state"})."""
        try:
            from unicorn import UC_ARCH_ARM, UC_HOOK_BLOCK, UC_MODE_MCLASS, UC_MODE_THUMB, Uc
        except ImportError:
            raise TinyctlError("the PIL runner needs unicorn: pip install unicorn==2.1.4") from None
        info = self._build_info(elf_path)
        self.model = model or info.get("model")
        self.target = target or info.get("target")
        sizes = sizes or info.get("sizes")
        if not self.model or not sizes:
            raise TinyctlError(f"{elf_path}: no firmware.json beside it names the model; pass model= and sizes=")
        self.in_size, self.out_size, self.state_size = sizes["in"], sizes["out"], sizes["state"]
        self.elf = Elf(elf_path)
        if self.elf.machine != EM_ARM:
            raise TinyctlError(f"{elf_path} is not an Arm firmware (the PIL runner executes Cortex-M code)")
        cpus = _cpu_models()
        if self.target not in cpus:
            raise TinyctlError(f"the PIL runner emulates {', '.join(cpus)}, not {self.target}")
        symbols = self.elf.symbols()
        try:
            self._step = symbols[f"{self.model}_step"][0]
            self._reset = symbols[f"{self.model}_reset"][0]
        except KeyError:
            raise TinyctlError(f"{elf_path} has no {self.model}_step/{self.model}_reset symbols") from None
        cpu, mclass = cpus[self.target]
        self.uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB | (UC_MODE_MCLASS if mclass else 0))
        self.uc.ctl_set_cpu_model(cpu)
        if not mclass:   # A-profile: the FPU is off until CPACR grants CP10/CP11 and FPEXC enables it
            from unicorn.arm_const import UC_ARM_REG_C1_C0_2, UC_ARM_REG_FPEXC
            self.uc.reg_write(UC_ARM_REG_C1_C0_2, self.uc.reg_read(UC_ARM_REG_C1_C0_2) | (0xF << 20))
            self.uc.reg_write(UC_ARM_REG_FPEXC, 0x40000000)
        self._map_image()
        self.uc.mem_map(SCRATCH, SCRATCH_SIZE)
        self.uc.mem_write(RETURN, b"\x00\xbf\x00\xbf")          # nop; nop
        n_state = max(self.state_size, 1)
        self._s, self._next = SCRATCH + 0x100, SCRATCH + 0x100 + 4 * n_state
        self._in = self._next + 4 * n_state
        self._out = self._in + 4 * max(self.in_size, 1)
        if self._out + 4 * max(self.out_size, 1) > SCRATCH + SCRATCH_SIZE // 2:
            raise TinyctlError("the model's inputs, outputs and state do not fit the PIL scratch region")
        self._count = 0
        self._blocks = {}
        self.uc.hook_add(UC_HOOK_BLOCK, self._on_block)
        self.last_instructions = None

    @staticmethod
    def _build_info(elf_path):
        path = os.path.join(os.path.dirname(os.path.abspath(elf_path)), "firmware.json")
        if not os.path.isfile(path):
            return {}
        with open(path) as f:
            return json.load(f)

    def _map_image(self):
        spans = []
        for seg in self.elf.segments:
            lo, hi = seg.vaddr // PAGE * PAGE, -(-(seg.vaddr + seg.memsz) // PAGE) * PAGE
            spans.append([lo, hi])
        spans.sort()
        merged = []
        for lo, hi in spans:
            if merged and lo <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], hi)
            else:
                merged.append([lo, hi])
        for lo, hi in merged:
            if lo < SCRATCH + SCRATCH_SIZE and hi > SCRATCH:
                raise TinyctlError("the firmware image overlaps the PIL scratch region at 0x30000000")
            self.uc.mem_map(lo, hi - lo)
        for seg in self.elf.segments:   # .data as after the reset handler's copy; .bss stays zero
            if seg.data:
                self.uc.mem_write(seg.vaddr, seg.data)

    def _on_block(self, uc, address, size, _):
        n = self._blocks.get(address)
        if n is None:
            n = self._blocks[address] = thumb_instructions(bytes(uc.mem_read(address, size)))
        self._count += n

    def _call(self, function, *args):
        from unicorn import UcError
        from unicorn.arm_const import UC_ARM_REG_LR, UC_ARM_REG_R0, UC_ARM_REG_SP
        for i, value in enumerate(args):
            self.uc.reg_write(UC_ARM_REG_R0 + i, value)
        self.uc.reg_write(UC_ARM_REG_SP, STACK_TOP)
        self.uc.reg_write(UC_ARM_REG_LR, RETURN | 1)
        self._count = 0
        try:
            self.uc.emu_start(function | 1, RETURN)
        except UcError as e:
            raise TinyctlError(f"the model's code faulted in unicorn ({e}) after {self._count} instructions") from None
        return self._count

    def _floats(self, addr, n):
        return np.frombuffer(bytes(self.uc.mem_read(addr, 4 * n)), np.float32).copy()

    def reset(self):
        """The initial recurrent state, from the firmware's own reset function."""
        self._call(self._reset, self._s)
        return self._floats(self._s, self.state_size)

    def step(self, inputs, state=None):
        """One step: (outputs, next state, instructions executed)."""
        x = np.asarray(inputs, np.float32).ravel()
        if x.size != self.in_size:
            raise ValueError(f"{self.model} takes {self.in_size} inputs, got {x.size}")
        s = self.reset() if state is None else np.asarray(state, np.float32).ravel()
        if s.size != self.state_size:
            raise ValueError(f"{self.model} has {self.state_size} state values, got {s.size}")
        self.uc.mem_write(self._s, s.tobytes())
        self.uc.mem_write(self._in, x.tobytes())
        n = self._call(self._step, self._s, self._in, self._out, self._next)
        self.last_instructions = n
        return self._floats(self._out, self.out_size), self._floats(self._next, self.state_size), n

    def rollout(self, inputs, state=None):
        """A sequence (T x in_size) with the state carried: (T x out_size outputs, final state, T instructions)."""
        state = self.reset() if state is None else state
        outs, counts = [], []
        for x in np.asarray(inputs, np.float32).reshape(len(inputs), -1):
            y, state, n = self.step(x, state)
            outs.append(y)
            counts.append(n)
        return np.array(outs, np.float32).reshape(len(outs), self.out_size), state, np.array(counts)
