"""The host side of the link (contract 2): requests with seq numbers, replies matched by seq, resends, and a
clear report when the firmware stops answering.

    link = LinkClient(transport, name="qemu-stm32f405")
    hello = link.hello()
    action = link.step(State(...))           # link_protocol.Action
    outputs = link.observation(x).values     # raw model outputs
"""
import time

from tinyctl import link_protocol as lp
from tinyctl.errors import TinyctlError
from tinyctl.firmware.transport import LinkClosed


class LinkError(TinyctlError):
    """The firmware refused a request (a length or a type it does not take), or answered something unexpected."""


class FirmwareHung(TinyctlError):
    """The firmware stopped answering; `last_text` is what it printed last (a fault report, a boot line)."""

    def __init__(self, message, last_text=""):
        super().__init__(message + (f"; last text it printed: {last_text!r}" if last_text else
                                    "; it printed no text"))
        self.last_text = last_text


class LinkClient:
    def __init__(self, transport, name="firmware", timeout=0.2, retries=25, diagnostics=None):
        """timeout: seconds to wait for each reply, well under the firmware's failsafe timeout (500 ms by default) so
        a lost frame is resent before the failsafe fires; retries: resends before the firmware counts as hung;
        diagnostics: a callable giving more text for a hung report (an emulator's own error output)."""
        self.transport = transport
        self.name = name
        self.timeout = timeout
        self.retries = retries
        self.diagnostics = diagnostics
        self.parser = lp.FrameParser()
        self.seq = 0
        self.pending = []               # frames read but not yet consumed
        self.events = []                # unsolicited frames: the boot HELLO, timeout ERRORs
        self.stats = {"requests": 0, "resends": 0, "bad_frames": 0, "stale": 0}

    # receiving ---------------------------------------------------------------------------------------------
    def _read_frames(self, timeout):
        if not self.pending:
            data = self.transport.read(timeout)
            if data:
                before = self.parser.bad_frames
                self.pending.extend(self.parser.feed(data))
                self.stats["bad_frames"] += self.parser.bad_frames - before
        frames, self.pending = self.pending, []
        return frames

    def last_text(self):
        text = self.parser.last_text()
        extra = self.diagnostics() if self.diagnostics else ""
        return "\n".join(t for t in (text, extra) if t)

    def wait_for(self, msg_type, timeout, seq=0):
        """Wait for an unsolicited frame (e.g. the boot HELLO, seq 0) without sending anything."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise FirmwareHung(f"{self.name} sent no {lp.type_name(msg_type)} within {timeout:g} s",
                                   self.last_text())
            try:
                frames = self._read_frames(left)
            except LinkClosed as e:
                raise FirmwareHung(f"{self.name}: {e}", self.last_text()) from None
            for i, f in enumerate(frames):
                if f.type == msg_type and f.seq == seq:
                    self.pending = frames[i + 1:] + self.pending
                    return f
                self.events.append(f)

    # requests ----------------------------------------------------------------------------------------------
    def _next_seq(self):
        self.seq = self.seq % 255 + 1     # 1..255: seq 0 marks frames the firmware sends on its own
        return self.seq

    def request(self, msg_type, payload, reply_type):
        """Send a request, resending with the same seq until its reply arrives; returns (reply frame, errors)."""
        seq = self._next_seq()
        frame = lp.encode_frame(msg_type, seq, payload)
        self.stats["requests"] += 1
        started = time.monotonic()
        for attempt in range(self.retries + 1):
            if attempt:
                self.stats["resends"] += 1
            try:
                self.transport.write(frame)
                reply = self._await(seq, msg_type, reply_type)
            except LinkClosed as e:
                raise FirmwareHung(f"{self.name}: {e}", self.last_text()) from None
            if reply is not None:
                return reply
        raise FirmwareHung(f"{self.name} did not answer {lp.type_name(msg_type)} (seq {seq}) after "
                           f"{self.retries + 1} tries over {time.monotonic() - started:.1f} s", self.last_text())

    def _await(self, seq, msg_type, reply_type):
        """The reply to seq, or None to resend now (timeout, a corrupt frame, an ERROR asking for it)."""
        deadline = time.monotonic() + self.timeout
        errors = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            bad_before = self.stats["bad_frames"]
            frames = self._read_frames(left)
            resend = self.stats["bad_frames"] > bad_before   # a corrupt frame may have been our reply
            for i, f in enumerate(frames):
                if f.type == reply_type and f.seq == seq:
                    self.pending = frames[i + 1:] + self.pending
                    return f, errors
                if f.type == lp.MsgType.ERROR:
                    err = lp.Error.from_frame(f)
                    if f.seq == 0:
                        self.events.append(f)
                        resend |= err.resend
                    elif err.resend:
                        resend = True      # its seq may itself be corrupt: resending costs one cached reply
                    elif f.seq != seq:
                        self.stats["stale"] += 1
                    elif err.failsafe:
                        errors.append(err)
                    else:
                        raise LinkError(f"{self.name} refused {lp.type_name(msg_type)}: {err.text}")
                elif f.seq == 0:
                    self.events.append(f)
                else:
                    self.stats["stale"] += 1    # the answer to an earlier resend
            if resend:
                return None

    # the messages ------------------------------------------------------------------------------------------
    def hello(self):
        frame, _ = self.request(lp.MsgType.HELLO, b"", lp.MsgType.HELLO)
        return lp.Hello.from_frame(frame)

    def reset(self):
        frame, _ = self.request(lp.MsgType.RESET, b"", lp.MsgType.HELLO)
        return lp.Hello.from_frame(frame)

    def step(self, state):
        """STATE -> ACTION (motor commands in [0, 1]; failsafe ERRORs in .errors)."""
        frame, errors = self.request(lp.MsgType.STATE, state.payload(), lp.MsgType.ACTION)
        return lp.Action.from_frame(frame, errors)

    def observation(self, values, commit=True):
        """A raw input vector -> ACTION with the model's raw outputs; commit keeps the recurrent state."""
        frame, errors = self.request(lp.MsgType.OBSERVATION, lp.observation_payload(values, commit),
                                     lp.MsgType.ACTION)
        return lp.Action.from_frame(frame, errors)

    def plant(self, time_us, state, reference):
        frame, errors = self.request(lp.MsgType.PLANT, lp.plant_payload(time_us, state, reference),
                                     lp.MsgType.ACTION)
        return lp.Action.from_frame(frame, errors)

    def errors_since(self, start=0):
        """Unsolicited ERRORs (seq 0) received so far, e.g. the failsafe timeout."""
        return [lp.Error.from_frame(f) for f in self.events[start:] if f.type == lp.MsgType.ERROR]

    def poll(self, timeout=0.0):
        """Read what arrived without sending: unsolicited frames go to events."""
        try:
            self.events.extend(self._read_frames(timeout))
        except LinkClosed as e:
            raise FirmwareHung(f"{self.name}: {e}", self.last_text()) from None
