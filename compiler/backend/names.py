"""C identifiers: sanitised, prefixed, unique, never a C keyword."""
import re

C_KEYWORDS = frozenset("""
auto break case char const continue default do double else enum extern float for goto if inline int long
register restrict return short signed sizeof static struct switch typedef union unsigned void volatile while
_Bool _Complex _Imaginary bool true false NULL main
""".split())

MODEL_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def model_name_from_file(file_name):
    stem = re.sub(r"\.onnx$", "", file_name, flags=re.IGNORECASE)
    name = re.sub(r"[^a-z0-9_]+", "_", stem.lower()).strip("_") or "model"
    if name[0].isdigit():
        name = "m_" + name
    return "m_" + name if name in C_KEYWORDS else name


class Namer:
    """Gives each tensor a short, readable, unique C identifier under the model's prefix."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.taken = set()

    def __call__(self, raw, max_len=40):
        base = re.sub(r"[^A-Za-z0-9_]+", "_", raw).strip("_")[-max_len:].strip("_") or "t"
        name = f"{self.prefix}_{base}"
        candidate, i = name, 1
        while candidate in self.taken or candidate in C_KEYWORDS:
            candidate = f"{name}_{i}"
            i += 1
        self.taken.add(candidate)
        return candidate
