"""The manifest of a compiled model directory (contract 1): its JSON Schema, validation, reading and writing.

Later stages add fields (lowerings, per-tensor precision, quantisation, jacobian, lipschitz scope); the schema
requires what contract 1 names and lets additions through, so older readers keep working.
"""
import json

import jsonschema

from tinyctl.errors import TinyctlError

SCHEMA_VERSION = 1
MANIFEST_FILE = "manifest.json"

_SHAPE = {"type": "array", "items": {"type": "integer", "minimum": 0}}
_ENTRY = {
    "type": "object",
    "required": ["name", "shape", "offset", "size"],
    "properties": {
        "name": {"type": "string"}, "shape": _SHAPE,
        "offset": {"type": "integer", "minimum": 0}, "size": {"type": "integer", "minimum": 0},
        "dtype": {"type": "string"},
    },
}
_STATE_ENTRY = {
    "type": "object",
    "required": ["name", "shape", "offset", "size", "onnx_input", "onnx_output"],
    "properties": dict(_ENTRY["properties"], **{
        "onnx_input": {"type": ["string", "null"]},    # the graph input (or initial_h) the state enters by
        "onnx_output": {"type": ["string", "null"]},   # the graph output (or Y_h) it leaves by
        "reset": {"type": "string", "enum": ["zeros", "initializer"]},
    }),
}
_ERRORS = {"type": "number", "minimum": 0}

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "tinyctl compiled model manifest",
    "type": "object",
    "required": ["schema_version", "tinyctl_version", "name", "model", "target", "dtype", "inputs", "outputs",
                 "state", "ops", "params", "macs", "memory", "lipschitz", "verify"],
    "properties": {
        "schema_version": {"const": SCHEMA_VERSION},
        "tinyctl_version": {"type": "string"},
        "name": {"type": "string", "pattern": "^[a-z_][a-z0-9_]*$"},
        "model": {"type": "object", "required": ["file", "sha256"],
                  "properties": {"file": {"type": "string"}, "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                                 "opset": {"type": "integer"}, "producer": {"type": "string"}}},
        "target": {"type": "string"},
        "dtype": {"type": "string"},
        "inputs": {"type": "array", "items": _ENTRY},
        "outputs": {"type": "array", "items": _ENTRY},
        "state": {"type": "array", "items": _STATE_ENTRY},
        "sizes": {"type": "object"},
        "ops": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}},
        "params": {"type": "integer", "minimum": 0},
        "macs": {"type": "integer", "minimum": 0},
        "memory": {"type": "object", "required": ["weights_bytes", "arena_bytes", "state_bytes"],
                   "properties": {k: {"type": "integer", "minimum": 0}
                                  for k in ("weights_bytes", "arena_bytes", "state_bytes")}},
        "lipschitz": {"oneOf": [{"type": "null"},
                                {"type": "object", "required": ["bound", "method"],
                                 "properties": {"bound": {"type": "number", "minimum": 0}, "method": {"type": "string"},
                                                "scope": {"enum": ["network", "feedforward-parts"]},
                                                "norm": {"const": "l2"}, "parts": {"type": "array"}}}]},
        # optional records that later stages add
        "jacobian": {"type": "object", "required": ["function", "rows", "cols", "mode", "layout"],
                     "properties": {"function": {"type": "string"}, "rows": {"type": "integer", "minimum": 0},
                                    "cols": {"type": "integer", "minimum": 0}, "mode": {"const": "forward"},
                                    "layout": {"type": "string"}, "verify": {"type": ["object", "null"]}}},
        "quantization": {"type": "object", "required": ["dtype", "calibration", "precision", "layers"],
                         "properties": {"dtype": {"enum": ["int8w", "int8", "q15"]}, "calibration": {"type": "object"},
                                        "precision": {"type": "object"}, "layers": {"type": "array"},
                                        "float_ops": {"type": "array"}}},
        "lowerings": {"type": "object", "required": ["emitted", "requested"],
                      "properties": {"emitted": {"enum": ["dense", "regions"]},
                                     "requested": {"enum": ["auto", "dense", "regions"]}}},
        "verify": {"oneOf": [{"type": "null"},
                             {"type": "object",
                              "required": ["reference", "samples", "steps", "max_abs_err", "max_rel_err"],
                              "properties": {"reference": {"type": "string"},
                                             "samples": {"type": "integer", "minimum": 0},
                                             "steps": {"type": "integer", "minimum": 0},
                                             "max_abs_err": _ERRORS, "max_rel_err": _ERRORS}}]},
    },
}


def _validator():
    """The schema checked and compiled once: jsonschema.validate re-checks the schema on every call (~0.1 s)."""
    global _VALIDATOR
    if _VALIDATOR is None:
        cls = jsonschema.validators.validator_for(SCHEMA)
        cls.check_schema(SCHEMA)
        _VALIDATOR = cls(SCHEMA)
    return _VALIDATOR


_VALIDATOR = None


def validate(manifest):
    """Raise TinyctlError naming the first field that breaks the schema."""
    try:
        error = jsonschema.exceptions.best_match(_validator().iter_errors(manifest))
        if error is not None:
            raise error
    except jsonschema.ValidationError as e:
        where = "/".join(str(p) for p in e.absolute_path) or "(top level)"
        raise TinyctlError(f"manifest field {where}: {e.message}") from None


def dumps(manifest):
    """Deterministic JSON: sorted keys, fixed indentation, a trailing newline."""
    return json.dumps(manifest, indent=2, sort_keys=True) + "\n"


def read(directory):
    import os
    path = os.path.join(directory, MANIFEST_FILE)
    try:
        with open(path) as f:
            manifest = json.load(f)
    except FileNotFoundError:
        raise TinyctlError(f"{directory} is not a compiled model directory: it has no {MANIFEST_FILE} "
                           "(make one with `tinyctl compile MODEL.onnx -o DIR`)") from None
    except json.JSONDecodeError as e:
        raise TinyctlError(f"{path} is not valid JSON ({e}); recompile the model") from None
    validate(manifest)
    return manifest
