"""The firmware's C link code against the Python side: same tables (generated from one source), same CRC, and the
same frames out of the same damaged byte streams."""
import os
import subprocess

import numpy as np
import pytest

from tinyctl import link_protocol as lp
from tinyctl.firmware.build import FIRMWARE_DIR
from tinyctl.firmware.codegen import link_header
from tinyctl.runtime.hostbuild import build as host_build

pytestmark = pytest.mark.hostc

HARNESS = r"""
#include <stdio.h>
#include "tc_link.h"

int main(int argc, char **argv)
{
    tc_parser_t p;
    tc_frame_t f;
    uint8_t err;
    int c;
    (void)argv;
    if (argc > 1) {   /* the tables, as the C side sees them */
        printf("STATE %u ACTION %u HELLO %u OBSERVATION %u ERROR %u\n", TC_STATE_FIXED_SIZE, TC_ACTION_FIXED_SIZE,
               TC_HELLO_FIXED_SIZE, TC_OBSERVATION_FIXED_SIZE, TC_ERROR_FIXED_SIZE);
        printf("offsets %u %u %u %u\n", TC_STATE_TARGET_VELOCITY_OFFSET, TC_HELLO_BOARD_OFFSET,
               TC_HELLO_CLOCK_HZ_OFFSET, TC_ACTION_FLAGS_OFFSET);
        for (unsigned code = 1; code < 32; ++code)
            printf("%u %s\n", code, tc_error_text((uint8_t)code));
        return 0;
    }
    tc_parser_init(&p);
    while ((c = getchar()) != EOF) {
        int r = tc_parser_push(&p, (uint8_t)c, &f, &err);
        while (r != TC_PARSE_MORE) {
            if (r == TC_PARSE_FRAME) {
                printf("F %u %u ", f.type, f.seq);
                for (unsigned i = 0; i < f.len; ++i)
                    printf("%02x", f.payload[i]);
                printf("\n");
            } else {
                printf("E %u\n", err);
            }
            r = tc_parser_next(&p, &f, &err);
        }
    }
    return 0;
}
"""


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    d = tmp_path_factory.mktemp("link_c")
    (d / "tc_link_protocol.h").write_text(link_header())
    (d / "harness.c").write_text(HARNESS)
    return host_build([str(d / "harness.c"), os.path.join(FIRMWARE_DIR, "common", "tc_link.c")], str(d / "harness"),
                      [str(d), os.path.join(FIRMWARE_DIR, "common")], sanitize=True)


def test_tables_match(harness):
    out = subprocess.run([harness, "table"], capture_output=True, text=True, check=True).stdout.splitlines()
    m = lp.MESSAGES
    assert out[0] == (f"STATE {m[lp.MsgType.STATE].fixed_size} ACTION {m[lp.MsgType.ACTION].fixed_size} "
                      f"HELLO {m[lp.MsgType.HELLO].fixed_size} OBSERVATION {m[lp.MsgType.OBSERVATION].fixed_size} "
                      f"ERROR {m[lp.MsgType.ERROR].fixed_size}")
    offsets = {name: off for msg in m.values() for name, _, _, off in
               [(f"{msg.name}.{n}", c, k, o) for n, c, k, o in msg.offsets()]}
    assert out[1] == (f"offsets {offsets['STATE.target_velocity']} {offsets['HELLO.board']} "
                      f"{offsets['HELLO.clock_hz']} {offsets['ACTION.flags']}")
    texts = dict(line.split(" ", 1) for line in out[2:])
    for code in range(1, 32):
        assert texts[str(code)] == (lp.ERRORS[code].text if code in lp.ERRORS else "unknown error")


def test_same_frames_from_damaged_streams(harness):
    rng = np.random.default_rng(1)
    for trial in range(20):
        stream = bytearray()
        for k in range(30):
            kind = rng.choice([lp.MsgType.STATE, lp.MsgType.HELLO, lp.MsgType.OBSERVATION])
            payload = rng.integers(0, 256, {lp.MsgType.STATE: 84, lp.MsgType.HELLO: 0}.get(kind, 92),
                                   dtype=np.uint8).tobytes()
            frame = bytearray(lp.encode_frame(kind, k + 1, payload))
            r = rng.random()
            if r < 0.2:
                frame[rng.integers(0, len(frame))] ^= 1 << int(rng.integers(0, 8))
            elif r < 0.3:
                frame = frame[:rng.integers(1, len(frame))]                   # a frame cut short
            elif r < 0.4:
                stream += b"\xa5\x5a" + bytes([2, 0, rng.integers(0, 255), 0])  # a false header
            stream += rng.integers(0, 256, rng.integers(0, 4), dtype=np.uint8).tobytes() + bytes(frame)
        out = subprocess.run([harness], input=bytes(stream), capture_output=True, check=True).stdout.decode()
        c_frames = [tuple(line.split()[1:]) for line in out.splitlines() if line.startswith("F")]
        parser = lp.FrameParser()
        py_frames = [(str(f.type), str(f.seq)) + ((f.payload.hex(),) if f.payload else ())
                     for f in parser.feed(bytes(stream))]
        assert c_frames == py_frames
        assert sum(line.startswith("E") for line in out.splitlines()) == parser.bad_frames
        assert len(py_frames) > 10


def test_crc_matches(harness):
    # a frame the C parser accepts is one whose CRC the Python side computed: any disagreement drops every frame
    frame = lp.encode_frame(lp.MsgType.HELLO, 7)
    out = subprocess.run([harness], input=frame, capture_output=True, check=True).stdout.decode()
    assert out.strip() == "F 1 7"
