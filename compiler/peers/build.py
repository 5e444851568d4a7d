"""What a tool produced for one model, ready for the MCU harness, or why it produced nothing usable."""
import os
from dataclasses import dataclass, field

import jinja2

_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.dirname(__file__)), undefined=jinja2.StrictUndefined,
                          trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


class PeerFailure(Exception):
    """The tool failed on this model (it refused it, crashed, or wrote C that does not compile or run right)."""


@dataclass
class Build:
    tool: str
    name: str                      # the step's C prefix
    sources: list
    include_dirs: list
    sizes: dict                    # {"in", "out", "state"}
    strict: bool = False           # tinyctl's own code: -std=c99 -Wall -Wextra -Werror -pedantic
    std: str = "c99"
    defines: tuple = ()
    notes: list = field(default_factory=list)
    model_sources: list = None     # the sources whose .data/.bss count as the model's RAM (default: all)
    heap_symbol: str = None        # a wrapper's heap high-water mark, when the tool allocates
    pool_bytes: int = 0            # ... and the static pool that heap comes from (not counted: its peak is)


def write_wrapper(path, tool, name, state, body, note, includes=(), system_includes=(), prelude="", reset_body=""):
    text = _ENV.get_template("wrapper.c.j2").render(tool=tool, name=name, state=state, body=body, note=note,
                                                     includes=includes, system_includes=system_includes,
                                                     prelude=prelude, reset_body=reset_body)
    with open(path, "w") as f:
        f.write(text)
    return path
