"""tc_link_protocol.h, the firmware's view of contract 2, rendered from tinyctl.link_protocol's tables."""
from tinyctl import __version__
from tinyctl import link_protocol as p
from tinyctl.firmware.codegen.render import render


def link_header():
    table = [f"0x{v:04X}u" for v in p.CRC_TABLE]
    rows = [", ".join(table[i:i + 8]) for i in range(0, 256, 8)]
    return render("tc_link_protocol.h.j2", version=__version__, p=p, messages=list(p.MESSAGES.values()),
                  errors=list(p.ERRORS.values()), crc_rows=rows)
