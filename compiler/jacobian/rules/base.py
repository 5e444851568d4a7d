"""What every derivative rule has: output kinds, and code before and after the node's own code."""
import os

import jinja2

from tinyctl.compiler.jacobian.tangents import BUF, TZERO, Tangent

_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(os.path.dirname(__file__)),
    undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)


class Rule:
    op_types = ()

    def kinds(self, node, tp):
        """The tangent kind of each output: a buffer when any input depends on the model's inputs."""
        active = any(i and tp.active(i) for i in node.inputs)
        return [Tangent(BUF) if active else TZERO for _ in node.outputs]

    def before(self, node, tp, ctx):
        """Code that runs before the node's primal code (may read its inputs)."""
        return ""

    def after(self, node, tp, ctx):
        """Code that runs after it (may read its outputs)."""
        return ""

    @staticmethod
    def render(template, **kwargs):
        return _TEMPLATES.get_template(template).render(**kwargs).rstrip("\n")
