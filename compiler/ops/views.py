"""Ops that give the same data another shape: Reshape, Flatten, Squeeze, Unsqueeze, Identity.

They emit no code: the output shares the input's buffer. Where the output must live elsewhere (a graph
output, a next state), the backend copies, with view.c.j2.
"""
import numpy as np

from tinyctl.compiler.ops import register
from tinyctl.compiler.ops.base import Op


class View(Op):
    template = "view.c.j2"
    headers = ("tinyctl/copy.h",)

    def read(self, node, graph):
        return {}

    def out_shape(self, node, graph, shape):
        """The output shape from the input shape and node.params (graph may be None)."""
        raise NotImplementedError

    def infer(self, node, graph):
        x = graph.tensor(node.inputs[0])
        return [(x.dtype, tuple(int(d) for d in self.out_shape(node, graph, tuple(x.shape))))]

    def evaluate(self, node, inputs):
        return [np.reshape(inputs[0], self.out_shape(node, None, tuple(inputs[0].shape)))]

    def is_view(self, node, graph):
        return True

    def emit_args(self, node, ctx):
        return {"y": ctx.ptr(node.outputs[0]), "x": ctx.ptr(node.inputs[0]), "n": ctx.size(node.outputs[0])}

    def normalise_axes(self, node, axes, rank):
        out = []
        for a in axes:
            a = int(a)
            if not -rank <= a < rank:
                raise self.error(node, f"axis {a} is out of range for rank {rank}")
            out.append(a % rank)
        if len(set(out)) != len(out):
            raise self.error(node, f"axes {list(axes)} repeat an axis")
        return sorted(out)


@register
class Reshape(View):
    op_types = ("Reshape",)
    const_inputs = (1,)

    def read(self, node, graph):
        self.check_arity(node, 2)
        shape = self.const_value(node, graph, 1, "the target shape")
        return {"shape": [int(d) for d in np.asarray(shape).ravel()], "allowzero": int(node.attrs.get("allowzero", 0))}

    def out_shape(self, node, graph, shape):
        target, size = list(node.params["shape"]), int(np.prod(shape))
        if not node.params["allowzero"]:
            for k, d in enumerate(target):
                if d == 0:
                    if k >= len(shape):
                        raise self.error(node, f"shape {node.params['shape']} copies axis {k}, which the input lacks")
                    target[k] = shape[k]
        if target.count(-1) > 1:
            raise self.error(node, f"shape {node.params['shape']} has more than one -1")
        if -1 in target:
            rest = int(np.prod([d for d in target if d != -1]))
            if rest == 0 or size % rest:
                raise self.error(node, f"cannot reshape {list(shape)} into {node.params['shape']}")
            target[target.index(-1)] = size // rest
        if int(np.prod(target)) != size:
            raise self.error(node, f"cannot reshape {list(shape)} ({size} values) into {target}")
        return target


@register
class Flatten(View):
    op_types = ("Flatten",)

    def read(self, node, graph):
        return {"axis": int(node.attrs.get("axis", 1))}

    def out_shape(self, node, graph, shape):
        axis = node.params["axis"]
        if not -len(shape) <= axis <= len(shape):
            raise self.error(node, f"axis {axis} is out of range for rank {len(shape)}")
        if axis < 0:
            axis += len(shape)
        return [int(np.prod(shape[:axis])), int(np.prod(shape[axis:]))]


@register
class Squeeze(View):
    op_types = ("Squeeze",)
    const_inputs = (1,)

    def read(self, node, graph):
        axes = self.const_value(node, graph, 1, "the axes") if len(node.inputs) > 1 else node.attrs.get("axes")
        return {"axes": None if axes is None else [int(a) for a in np.asarray(axes).ravel()]}

    def out_shape(self, node, graph, shape):
        if node.params["axes"] is None:
            return [d for d in shape if d != 1]
        axes = self.normalise_axes(node, node.params["axes"], len(shape))
        for a in axes:
            if shape[a] != 1:
                raise self.error(node, f"cannot squeeze axis {a} of size {shape[a]} (input shape {list(shape)})")
        return [d for k, d in enumerate(shape) if k not in axes]


@register
class Unsqueeze(View):
    op_types = ("Unsqueeze",)
    const_inputs = (1,)

    def read(self, node, graph):
        axes = self.const_value(node, graph, 1, "the axes") if len(node.inputs) > 1 else node.attrs.get("axes")
        if axes is None:
            raise self.error(node, "needs axes")
        return {"axes": [int(a) for a in np.asarray(axes).ravel()]}

    def out_shape(self, node, graph, shape):
        rank = len(shape) + len(node.params["axes"])
        axes = self.normalise_axes(node, node.params["axes"], rank)
        out, it = [], iter(shape)
        for k in range(rank):
            out.append(1 if k in axes else next(it))
        return out


@register
class Identity(View):
    op_types = ("Identity",)

    def out_shape(self, node, graph, shape):
        self.check_arity(node, 1)
        return list(shape)
