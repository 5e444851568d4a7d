"""Link fault injection: a transport wrapper that damages traffic the way a noisy UART or a flaky adapter does,
to prove the link recovers (tests, and users checking their own wiring setup).

    t = FaultyTransport(session.link.transport)
    session.link.transport = t
    t.corrupt_next()          # flip a bit in the next frame sent
    t.drop_next()             # lose the next frame sent
    t.split_next(4)           # send the next frame in 4 pieces with pauses between them
    t.garbage_before_next(b"\\x00\\xa5\\x5a\\x02")   # noise (with a false sync) before the next frame
    t.corrupt_next_reply()    # flip a bit in the next bytes received
"""
import time


class FaultyTransport:
    def __init__(self, inner, pause=0.003):
        self.inner = inner
        self.pause = pause
        self.write_faults = []
        self.read_faults = []
        self.injected = []

    # what to do to the next frames -------------------------------------------------------------------------
    def corrupt_next(self, at=8, bit=0x10):
        self.write_faults.append(("corrupt", at, bit))

    def drop_next(self):
        self.write_faults.append(("drop",))

    def split_next(self, pieces=3):
        self.write_faults.append(("split", pieces))

    def garbage_before_next(self, garbage):
        self.write_faults.append(("garbage", bytes(garbage)))

    def corrupt_next_reply(self, at=10, bit=0x01):
        self.read_faults.append(("corrupt", at, bit))

    # the transport ---------------------------------------------------------------------------------------------
    def write(self, data):
        if not self.write_faults:
            return self.inner.write(data)
        fault = self.write_faults.pop(0)
        self.injected.append(fault[0])
        kind = fault[0]
        if kind == "drop":
            return None
        if kind == "corrupt":
            damaged = bytearray(data)
            damaged[min(fault[1], len(data) - 1)] ^= fault[2]
            return self.inner.write(bytes(damaged))
        if kind == "split":
            step = max(1, -(-len(data) // fault[1]))
            for at in range(0, len(data), step):
                self.inner.write(data[at:at + step])
                time.sleep(self.pause)
            return None
        if kind == "garbage":
            self.inner.write(fault[1])
            time.sleep(self.pause)
            return self.inner.write(data)
        raise ValueError(kind)

    def read(self, timeout):
        data = self.inner.read(timeout)
        if data and self.read_faults:
            _, at, bit = self.read_faults.pop(0)
            self.injected.append("corrupt_reply")
            damaged = bytearray(data)
            damaged[min(at, len(data) - 1)] ^= bit
            data = bytes(damaged)
        return data

    def close(self):
        self.inner.close()
