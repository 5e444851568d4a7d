"""Contract 2, the link between firmware and host: the one source of truth.

    0xA5 0x5A | type u8 | seq u8 | len u16 | payload | CRC-16/CCITT-FALSE over type..payload   (little-endian)

The message table, the payload layouts, the flag bits and the error codes with their texts live here; the
firmware's C header (tc_link_protocol.h) is generated from these tables by tinyctl.firmware, so the two sides
cannot drift. Python encodes and decodes with the same tables.

Rules both sides follow:
- The host numbers its requests 1..255 (wrapping, skipping 0); a reply echoes the request's seq. Seq 0 marks a
  frame the firmware sent on its own (the HELLO at boot, a timeout ERROR).
- The host resends a request whose reply is corrupt or missing with the same seq; the firmware answers a repeated
  seq with its cached reply without stepping again (ACTION.step shows that no step ran).
- An ERROR for a request precedes its reply (a failsafe ERROR precedes the ACTION carrying the safe output).
- Lock-step: one request in flight; the firmware may print text between frames (a boot line, a fault report),
  which the host keeps as "the last text it printed".
"""
import math
import struct
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

PROTOCOL_VERSION = 1
SYNC = b"\xa5\x5a"
HEADER_SIZE = 6          # sync(2) type(1) seq(1) len(2)
CRC_SIZE = 2
MAX_PAYLOAD = 256
MAX_FRAME = HEADER_SIZE + MAX_PAYLOAD + CRC_SIZE
NAME_SIZE = 16           # fixed-size text fields in HELLO (NUL-padded)


class MsgType(IntEnum):
    HELLO = 0x01
    STATE = 0x02
    PLANT = 0x03
    OBSERVATION = 0x04
    ACTION = 0x05
    RESET = 0x06
    ERROR = 0x07


# field: (name, ctype, count). A message's payload is its fixed fields in order, then an optional tail of
# `tail` elements filling the rest of the payload (floats, or text for ERROR).
CTYPES = {"u8": ("B", 1, "uint8_t"), "u16": ("H", 2, "uint16_t"), "u32": ("I", 4, "uint32_t"),
          "u64": ("Q", 8, "uint64_t"), "f32": ("f", 4, "float"), "char": ("s", 1, "char")}


@dataclass(frozen=True)
class Message:
    type: MsgType
    direction: str               # "to_firmware", "to_host", or "both"
    fields: tuple                # ((name, ctype, count), ...)
    tail: str = ""               # "" (none), "f32" (values) or "char" (text)
    doc: str = ""

    @property
    def name(self):
        return self.type.name

    @property
    def fixed_size(self):
        return sum(CTYPES[c][1] * n for _, c, n in self.fields)

    def offsets(self):
        """(name, ctype, count, byte offset) of each fixed field."""
        out, at = [], 0
        for name, ctype, count in self.fields:
            out.append((name, ctype, count, at))
            at += CTYPES[ctype][1] * count
        return out

    @property
    def struct_format(self):
        return "<" + "".join(f"{n}{CTYPES[c][0]}" if c == "char" else CTYPES[c][0] * n for _, c, n in self.fields)


MESSAGES = {m.type: m for m in (
    Message(MsgType.HELLO, "both", (
        ("version", "u8", 1), ("mode", "u8", 1), ("cost_unit", "u8", 1), ("flags", "u8", 1),
        ("in_size", "u16", 1), ("out_size", "u16", 1), ("state_size", "u16", 1), ("reserved", "u16", 1),
        ("control_period_us", "u32", 1), ("timeout_us", "u32", 1), ("clock_hz", "u32", 1),
        ("board", "char", NAME_SIZE), ("model", "char", NAME_SIZE), ("sha256", "char", NAME_SIZE),
        ("controller", "char", NAME_SIZE), ("dtype", "char", 8),
    ), doc="firmware -> host at boot (seq 0) and in answer to an empty HELLO or a RESET: who is talking"),
    Message(MsgType.STATE, "to_firmware", (
        ("time_us", "u64", 1), ("position", "f32", 3), ("quaternion", "f32", 4), ("velocity", "f32", 3),
        ("body_rates", "f32", 3), ("target_position", "f32", 3), ("target_velocity", "f32", 3),
    ), doc="what a state estimator and a setpoint give a flight controller (world FLU, quaternion w,x,y,z "
           "body->world, body rates in the body frame); answered by ACTION with motor commands in [0, 1]"),
    Message(MsgType.PLANT, "to_firmware", (
        ("time_us", "u64", 1), ("state_size", "u16", 1), ("reference_size", "u16", 1),
    ), tail="f32", doc="a plant's state vector then its reference, for plants other than the quadrotor"),
    Message(MsgType.OBSERVATION, "to_firmware", (
        ("flags", "u8", 1), ("reserved", "u8", 3),
    ), tail="f32", doc="a raw input vector for the model, bypassing the controller glue; answered by ACTION "
                       "with the raw outputs; flag COMMIT keeps the recurrent state it produced"),
    Message(MsgType.ACTION, "to_host", (
        ("step", "u32", 1), ("cost", "u32", 1), ("cost_total", "u32", 1), ("iterations", "u16", 1),
        ("status", "u8", 1), ("flags", "u8", 1),
    ), tail="f32", doc="the outputs; step counts model steps since reset (a cached reply repeats it); cost is the "
                       "model step and cost_total the whole frame, in HELLO.cost_unit; status and iterations "
                       "are the solver's (zero outside MPC)"),
    Message(MsgType.RESET, "to_firmware", (), doc="reset the controller (recurrent state, previous action, "
                                                  "clock, failsafe latch, reply cache); answered by HELLO"),
    Message(MsgType.ERROR, "to_host", (("code", "u8", 1), ("about", "u8", 1)), tail="char",
            doc="code, the type of the frame it is about (0 if none), and its text"),
)}


class Mode(IntEnum):
    PASSTHROUGH = 0     # echoes: STATE and OBSERVATION come back as ACTION values (link tests)
    POLICY = 1          # STATE -> observation -> policy step -> motor commands
    MPC = 2             # PLANT -> Newton-Raphson MPC over a learned dynamics model -> the plant's inputs
    LAW = 3             # PLANT -> a plant law (a plain model, e.g. an explicit MPC) -> the plant's inputs


class CostUnit(IntEnum):
    NONE = 0
    CYCLES = 1          # DWT CYCCNT: core clock cycles on silicon
    TICKS = 2           # SysTick at the core clock; instructions under QEMU -icount (see tinyctl.firmware.qemu)
    NANOSECONDS = 3     # the host board's monotonic clock


class ObservationFlag(IntEnum):
    COMMIT = 0x01       # keep the recurrent state this step produced


class ActionFlag(IntEnum):
    COMMITTED = 0x01    # the recurrent state (and previous action) were committed at this step
    FAILSAFE = 0x02     # the values are the configured safe output
    CLIPPED = 0x04      # an observation feature (mode law: the law's input) was clipped to its limit
    RAW = 0x08          # the values are the model's raw outputs (answer to OBSERVATION)
    ECHO = 0x10         # passthrough mode: the values echo the request
    OUTSIDE = 0x20      # mode law: the model says the state is outside its domain (an explicit MPC's `inside` is 0)


@dataclass(frozen=True)
class ErrorCode:
    code: int
    name: str
    text: str
    resend: bool = False     # the host should resend its request at once
    failsafe: bool = False   # the firmware set its safe output


ERRORS = {e.code: e for e in (
    ErrorCode(1, "BAD_CRC", "frame CRC mismatch: frame dropped, resend it", resend=True),
    ErrorCode(2, "BAD_LENGTH", "payload length does not fit the message type"),
    ErrorCode(3, "UNKNOWN_TYPE", "unknown message type"),
    ErrorCode(4, "UNSUPPORTED", "message not supported in this controller mode"),
    ErrorCode(5, "NONFINITE_INPUT", "NaN or Inf in the input: safe output set", failsafe=True),
    ErrorCode(6, "NONFINITE_OUTPUT", "NaN or Inf in the model output: safe output set", failsafe=True),
    ErrorCode(7, "TIMEOUT", "no STATE within the failsafe timeout: safe output set", failsafe=True),
    ErrorCode(8, "TIME_BACKWARDS", "STATE.time went backwards: safe output set, send RESET", failsafe=True),
    ErrorCode(9, "FAILSAFE_LATCHED", "failsafe latched: safe output until RESET", failsafe=True),
    ErrorCode(10, "OVERRUN", "receive buffer overrun: bytes lost", resend=True),
    ErrorCode(11, "TOO_LARGE", "declared payload longer than 256 bytes", resend=True),
)}
ERROR_BY_NAME = {e.name: e for e in ERRORS.values()}


def error_text(code):
    e = ERRORS.get(code)
    return e.text if e else f"unknown error code {code}"


# CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no final xor; check("123456789") = 0x29B1 ------
def _crc_table():
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
        table.append(crc & 0xFFFF)
    return tuple(table)


CRC_TABLE = _crc_table()


def crc16(data, crc=0xFFFF):
    for b in data:
        crc = ((crc << 8) & 0xFFFF) ^ CRC_TABLE[((crc >> 8) ^ b) & 0xFF]
    return crc


def type_name(msg_type):
    try:
        return MsgType(msg_type).name
    except ValueError:
        return f"type 0x{msg_type:02x}"


# frames -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Frame:
    type: int
    seq: int
    payload: bytes

    @property
    def name(self):
        return type_name(self.type)


def encode_frame(msg_type, seq, payload=b""):
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"payload of {len(payload)} bytes exceeds the link's {MAX_PAYLOAD}")
    body = struct.pack("<BBH", int(msg_type), seq & 0xFF, len(payload)) + bytes(payload)
    return SYNC + body + struct.pack("<H", crc16(body))


class FrameParser:
    """Bytes in, frames out; resynchronises after garbage, split reads and corrupt frames.

    A candidate frame that fails its CRC is dropped and scanning resumes one byte after its sync, so a real
    frame hidden inside a false start is still found. Bytes outside frames are kept as text (the firmware's
    prints). `bad_frames` counts CRC failures and impossible lengths.
    """

    def __init__(self, text_limit=4096):
        self.buf = bytearray()
        self.text = bytearray()
        self.text_limit = text_limit
        self.bad_frames = 0

    def feed(self, data):
        self.buf += data
        frames = []
        while True:
            at = self.buf.find(SYNC)
            if at < 0:
                keep = 1 if self.buf[-1:] == SYNC[:1] else 0   # a sync split across reads
                self._text(self.buf[:len(self.buf) - keep])
                del self.buf[:len(self.buf) - keep]
                return frames
            self._text(self.buf[:at])
            del self.buf[:at]
            if len(self.buf) < HEADER_SIZE:
                return frames
            msg_type, seq, length = struct.unpack_from("<BBH", self.buf, 2)
            if length > MAX_PAYLOAD:
                self.bad_frames += 1
                del self.buf[:1]
                continue
            end = HEADER_SIZE + length + CRC_SIZE
            if len(self.buf) < end:
                return frames
            (crc,) = struct.unpack_from("<H", self.buf, end - CRC_SIZE)
            if crc16(self.buf[2:end - CRC_SIZE]) != crc:
                self.bad_frames += 1
                del self.buf[:1]
                continue
            frames.append(Frame(msg_type, seq, bytes(self.buf[HEADER_SIZE:end - CRC_SIZE])))
            del self.buf[:end]

    def _text(self, data):
        if data:
            self.text += data
            del self.text[:max(0, len(self.text) - self.text_limit)]

    def last_text(self, lines=5):
        text = self.text.decode("utf-8", "replace").replace("\r", "")
        return "\n".join([ln for ln in text.split("\n") if ln.strip()][-lines:])


# payloads -----------------------------------------------------------------------------------------------------
def pack(msg_type, tail=(), **fields):
    """The payload of a message: its fixed fields by name (missing ones are zero), then the tail."""
    msg = MESSAGES[MsgType(msg_type)]
    values = []
    for name, ctype, count in msg.fields:
        v = fields.pop(name, None)
        if ctype == "char":
            raw = (v or "").encode() if isinstance(v or "", str) else bytes(v)
            if len(raw) > count:
                raise ValueError(f"{msg.name}.{name}: '{v}' is longer than {count} bytes")
            values.append(raw)
        elif count == 1:
            values.append(v or 0)
        else:
            arr = np.zeros(count) if v is None else np.asarray(v, dtype=float).ravel()
            if arr.size != count:
                raise ValueError(f"{msg.name}.{name} takes {count} values, got {arr.size}")
            values.extend(float(x) if ctype == "f32" else int(x) for x in arr)
    if fields:
        raise ValueError(f"{msg.name} has no field(s) {', '.join(fields)}")
    payload = struct.pack(msg.struct_format, *values)
    if msg.tail == "f32":
        payload += np.asarray(tail, dtype="<f4").tobytes()
    elif msg.tail == "char":
        payload += tail.encode() if isinstance(tail, str) else bytes(tail)
    elif len(tail):
        raise ValueError(f"{msg.name} has no variable part")
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"{msg.name} payload of {len(payload)} bytes exceeds the link's {MAX_PAYLOAD}")
    return payload


def unpack(msg_type, payload):
    """(fields dict, tail) of a payload; raises ValueError when its length does not fit the message."""
    msg = MESSAGES[MsgType(msg_type)]
    n = msg.fixed_size
    extra = len(payload) - n
    if extra < 0 or (not msg.tail and extra) or (msg.tail == "f32" and extra % 4):
        raise ValueError(f"{msg.name} payload of {len(payload)} bytes does not fit its layout ({n} fixed bytes"
                         + (", then float32 values)" if msg.tail == "f32" else ")"))
    flat = struct.unpack_from(msg.struct_format, payload)
    out, i = {}, 0
    for name, ctype, count in msg.fields:
        if ctype == "char":
            out[name] = flat[i].rstrip(b"\0").decode("ascii", "replace")
            i += 1
        elif count == 1:
            out[name] = flat[i]
            i += 1
        else:
            out[name] = np.array(flat[i:i + count], dtype=np.float32 if ctype == "f32" else np.int64)
            i += count
    rest = payload[n:]
    if msg.tail == "f32":
        tail = np.frombuffer(rest, dtype="<f4").astype(np.float32)
    elif msg.tail == "char":
        tail = rest.decode("utf-8", "replace")
    else:
        tail = None
    return out, tail


# typed views of the messages -----------------------------------------------------------------------------------
@dataclass
class State:
    """A STATE frame: time in integer microseconds, SI units, world FLU, quaternion (w, x, y, z) body->world."""
    time_us: int
    position: np.ndarray
    quaternion: np.ndarray
    velocity: np.ndarray
    body_rates: np.ndarray
    target_position: np.ndarray = field(default_factory=lambda: np.zeros(3, np.float32))
    target_velocity: np.ndarray = field(default_factory=lambda: np.zeros(3, np.float32))

    VECTORS = ("position", "quaternion", "velocity", "body_rates", "target_position", "target_velocity")

    def __post_init__(self):
        self.time_us = int(self.time_us)
        for name in self.VECTORS:
            setattr(self, name, np.asarray(getattr(self, name), dtype=np.float32).ravel())

    def payload(self):
        return pack(MsgType.STATE, time_us=self.time_us, **{n: getattr(self, n) for n in self.VECTORS})

    @classmethod
    def from_payload(cls, payload):
        f, _ = unpack(MsgType.STATE, payload)
        return cls(**f)

    def floats(self):
        """Every float of the frame in payload order (what the failsafe checks for NaN and Inf)."""
        return np.concatenate([getattr(self, n) for n in self.VECTORS])


@dataclass
class Hello:
    version: int
    mode: int
    cost_unit: int
    flags: int
    in_size: int
    out_size: int
    state_size: int
    control_period_us: int
    timeout_us: int
    clock_hz: int
    board: str
    model: str
    sha256: str
    controller: str
    dtype: str
    seq: int = 0

    @classmethod
    def from_frame(cls, frame):
        f, _ = unpack(MsgType.HELLO, frame.payload)
        f.pop("reserved")
        return cls(seq=frame.seq, **f)

    def payload(self):
        fields = {k: v for k, v in self.__dict__.items() if k != "seq"}
        return pack(MsgType.HELLO, **fields)

    @property
    def mode_name(self):
        return Mode(self.mode).name.lower()


@dataclass
class Error:
    code: int
    about: int
    text: str
    seq: int = 0

    @classmethod
    def from_frame(cls, frame):
        f, text = unpack(MsgType.ERROR, frame.payload)
        return cls(seq=frame.seq, text=text, **f)

    @property
    def name(self):
        e = ERRORS.get(self.code)
        return e.name if e else f"E{self.code}"

    @property
    def resend(self):
        e = ERRORS.get(self.code)
        return bool(e and e.resend)

    @property
    def failsafe(self):
        e = ERRORS.get(self.code)
        return bool(e and e.failsafe)

    def __str__(self):
        return f"{self.name}: {self.text}"


@dataclass
class Action:
    values: np.ndarray
    step: int
    cost: int
    cost_total: int
    iterations: int
    status: int
    flags: int
    seq: int = 0
    errors: list = field(default_factory=list)   # ERROR frames that came with this reply

    @classmethod
    def from_frame(cls, frame, errors=()):
        f, values = unpack(MsgType.ACTION, frame.payload)
        return cls(values=values, seq=frame.seq, errors=list(errors), **f)

    def payload(self):
        return pack(MsgType.ACTION, tail=self.values, step=self.step, cost=self.cost, cost_total=self.cost_total,
                    iterations=self.iterations, status=self.status, flags=self.flags)

    @property
    def committed(self):
        return bool(self.flags & ActionFlag.COMMITTED)

    @property
    def failsafe(self):
        return bool(self.flags & ActionFlag.FAILSAFE)

    @property
    def clipped(self):
        return bool(self.flags & ActionFlag.CLIPPED)


def observation_payload(values, commit=True):
    return pack(MsgType.OBSERVATION, tail=np.asarray(values, np.float32).ravel(),
                flags=int(ObservationFlag.COMMIT) if commit else 0)


def plant_payload(time_us, state, reference):
    state = np.asarray(state, np.float32).ravel()
    reference = np.asarray(reference, np.float32).ravel()
    return pack(MsgType.PLANT, tail=np.concatenate([state, reference]), time_us=int(time_us),
                state_size=state.size, reference_size=reference.size)


def max_values(msg_type):
    """How many float32 values fit in a message's tail."""
    return (MAX_PAYLOAD - MESSAGES[MsgType(msg_type)].fixed_size) // 4


def finite(values):
    return all(math.isfinite(float(v)) for v in np.ravel(values))
