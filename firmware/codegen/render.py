"""Jinja2 rendering of the firmware's generated C: templates live beside the module that fills them."""
import os

import jinja2


def cfloat(value):
    """A C float literal that parses back to the same float32."""
    text = repr(float(value))
    return (text if ("." in text or "e" in text) else text + ".0") + "f"


_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.dirname(__file__)), keep_trailing_newline=True,
                          undefined=jinja2.StrictUndefined)
_ENV.filters["cfloat"] = cfloat


def render(template, **values):
    return _ENV.get_template(template).render(**values)
