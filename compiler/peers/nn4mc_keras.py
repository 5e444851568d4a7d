"""nn4mc 0.3.0: Keras HDF5 to C (its PyTorch and ONNX parsers are empty). The HDF5 is written here with h5py in
Keras's layout (model_config JSON, model_weights/<layer>/<layer>/kernel:0, bias:0, recurrent_kernel:0), so no
TensorFlow is needed. Its C: one malloc per layer and call (the caller's input is freed by the first layer),
activations in double precision; newlib-nano's malloc runs over a static pool here (_sbrk in the wrapper), whose
high-water mark counts as RAM.

What it writes does not compile as it is: build_layer_dense(..., [12], 64, ...) prints a Python list into C.
`build` reports that; `build(..., fix=True)` replaces the list by its one number (a hand fix, which the bench
labels as such), so the rest can be measured."""
import json
import os
import re
import shutil

import numpy as np

from tinyctl.compiler.peers.build import Build, PeerFailure, write_wrapper

TOOL = "nn4mc"
HEAP = 16 * 1024
_KERAS_ACT = {"identity": "linear", "relu": "relu", "tanh": "tanh", "logistic": "sigmoid"}


def version():
    from importlib.metadata import version as v
    return v("nn4mc")


def write_hdf5(path, onnx_path):
    """The model as a Keras Sequential HDF5: Dense layers, or Dense, GRU (reset_after, the PyTorch form), Dense."""
    import h5py
    from tinyctl.compiler import frontend
    from tinyctl.compiler.passes import run_pipeline
    proto, raw, file_name = frontend.load(onnx_path)
    graph = run_pipeline(frontend.to_ir(proto, raw, file_name), {})
    n_in = graph.tensor(graph.inputs[0]).shape[-1]
    layers = [{"class_name": "InputLayer", "config": {"name": "input_1", "batch_input_shape": [None, int(n_in)],
                                                       "dtype": "float32"}}]
    weights = {}
    for k, node in enumerate(graph.nodes):
        name = f"layer_{k}"
        if node.op == "tc.Dense":
            act = {None: "linear", "Relu": "relu", "Tanh": "tanh", "Sigmoid": "sigmoid"}.get(node.params["activation"])
            if act is None:
                raise PeerFailure(f"no Keras activation for {node.params['activation']}")
            w = graph.tensor(node.inputs[1]).value
            b = graph.tensor(node.inputs[2]).value if len(node.inputs) > 2 and node.inputs[2] else np.zeros(w.shape[0])
            layers.append({"class_name": "Dense", "config": {"name": name, "units": int(w.shape[0]), "activation": act,
                                                              "use_bias": True}})
            weights[name] = {"kernel:0": w.T, "bias:0": b}
        elif node.op == "GRU":
            w, r = graph.tensor(node.inputs[1]).value[0], graph.tensor(node.inputs[2]).value[0]
            b = graph.tensor(node.inputs[3]).value[0]
            hid = r.shape[1]
            layers.append({"class_name": "GRU", "config": {"name": name, "units": int(hid), "activation": "tanh",
                                                            "recurrent_activation": "sigmoid", "use_bias": True,
                                                            "dropout": 0.0, "recurrent_dropout": 0.0,
                                                            "reset_after": bool(node.params["linear_before_reset"])}})
            weights[name] = {"gru_cell": {"kernel:0": w.T, "recurrent_kernel:0": r.T,
                                          "bias:0": np.stack([b[:3 * hid], b[3 * hid:]])}}
        elif node.op not in ("Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity"):
            raise PeerFailure(f"no Keras layer for {node.op} here")
    with h5py.File(path, "w") as f:
        group = f.create_group("model_weights")
        for name, arrays in weights.items():
            g = group.create_group(name).create_group(name)
            for key, value in arrays.items():
                if isinstance(value, dict):
                    cell = g.create_group(key)
                    for k2, v2 in value.items():
                        cell.create_dataset(k2, data=np.asarray(v2, np.float32))
                else:
                    g.create_dataset(key, data=np.asarray(value, np.float32))
        f.attrs["model_config"] = json.dumps({"class_name": "Sequential",
                                              "config": {"name": "sequential", "layers": layers}}).encode()
    return graph


def build(onnx_path, manifest, out_dir, target="cortex-m4f", fix=False):
    from tinyctl.compiler.peers import mcu
    os.makedirs(out_dir, exist_ok=True)
    h5 = os.path.join(out_dir, "model.h5")
    graph = write_hdf5(h5, onnx_path)
    gen = os.path.join(out_dir, "gen")
    shutil.rmtree(gen, ignore_errors=True)
    os.makedirs(gen)
    import nn4mc.translator
    try:
        import contextlib
        import io
        with contextlib.redirect_stdout(io.StringIO()):      # it prints every layer's parameters
            nn4mc.translator.translate(h5, "hdf5", gen)
    except (Exception, SystemExit) as e:      # it calls quit() when a template cannot be filled
        cause = e.__context__ if isinstance(e, SystemExit) and e.__context__ else e
        how = "stopped (quit())" if isinstance(e, SystemExit) else "failed"
        where = " (its GRU layer)" if any(n.op == "GRU" for n in graph.nodes) else ""
        raise PeerFailure(f"nn4mc {how} generating C{where}: {type(cause).__name__}: {cause}") from None
    root = os.path.join(gen, "nn4mc")
    sources = []
    for folder, _, files in os.walk(os.path.join(root, "src")):
        for f in sorted(files):      # C code in .cpp files: compiled as C, like everyone's
            src = os.path.join(folder, f)
            dst = os.path.splitext(src)[0] + ".c"
            os.rename(src, dst)
            sources.append(dst)
    includes = [os.path.join(root, "include"), os.path.join(root, "include", "layers")]
    nn = os.path.join(root, "src", "nn4mc.c")
    if fix:
        text = open(nn).read()
        with open(nn, "w") as f:
            f.write(re.sub(r"build_layer_dense\(([^,]+, [^,]+), \[(\d+)\],", r"build_layer_dense(\1, \2,", text))
    if not fix or graph.state:
        try:
            mcu.build_image(sources, includes, [], os.path.join(out_dir, "as_generated"), target=target,
                            strict=False, link=False)
        except Exception as e:
            errors = [line.split("error: ")[-1].strip() for line in str(e).splitlines() if "error: " in line]
            raise PeerFailure(f"its C does not compile: {'; '.join(dict.fromkeys(errors[:3]))}") from None
    if graph.state:
        raise PeerFailure("its GRU takes no hidden state in or out (the authors hand-edited theirs to take one)")
    name = f"{manifest['name']}_nn4mc"
    n_in, n_out = manifest["sizes"]["in"], manifest["sizes"]["out"]
    prelude = ("/* nn4mc.h includes parameters.h, which defines the weights: a second file including it does not link */\n"
               "float *fwdNN(float *data);\nvoid buildLayers(void);\n\n"
               f"static unsigned char {name}_pool[{HEAP}];\n"
               f"static size_t {name}_brk;\n"
               f"size_t {name}_heap_peak;\n"
               "void *_sbrk(ptrdiff_t incr);\n\n"
               "/* newlib's malloc takes its memory here: a static pool, its high-water mark kept */\n"
               "void *_sbrk(ptrdiff_t incr)\n{\n"
               f"    if (incr < 0 || {name}_brk + (size_t)incr > sizeof {name}_pool)\n"
               "        return (void *)-1;\n"
               f"    void *p = {name}_pool + {name}_brk;\n"
               f"    {name}_brk += (size_t)incr;\n"
               f"    if ({name}_brk > {name}_heap_peak)\n"
               f"        {name}_heap_peak = {name}_brk;\n"
               "    return p;\n}")
    body = (f"    (void)s;\n    (void)next;\n"
            f"    float *x = malloc({n_in} * sizeof(float));   /* nn4mc frees its input */\n"
            f"    memcpy(x, in, {n_in} * sizeof(float));\n"
            f"    float *y = fwdNN(x);\n"
            f"    memcpy(out, y, {n_out} * sizeof(float));\n"
            f"    free(y);")
    wrapper = write_wrapper(os.path.join(out_dir, f"{name}_step.c"), TOOL, name, 0, body,
                            "fwdNN on a malloc'd copy of the input (it frees it); buildLayers() at reset.",
                            system_includes=["stddef.h", "stdlib.h", "string.h"],
                            prelude=prelude, reset_body="    buildLayers();")
    return Build(TOOL, name, sources + [wrapper], includes, dict(manifest["sizes"]),
                 notes=(["one token fixed by hand: build_layer_dense(..., [n], ...) -> n"] if fix else []) +
                 ["its header defines the weights: the wrapper declares fwdNN and buildLayers itself"],
                 heap_symbol=f"{name}_heap_peak", pool_bytes=HEAP)
