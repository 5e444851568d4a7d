"""Output directories written whole or not at all: staged beside the destination, moved into place at the end.
A directory tinyctl did not write (no marker file) is replaced only with force."""
import os
import shutil
import tempfile
from contextlib import contextmanager

from tinyctl.errors import TinyctlError


def check_destination(out_dir, marker, force, what):
    if os.path.isfile(out_dir):
        raise TinyctlError(f"{out_dir} is a file; give a directory for the {what}")
    if os.path.isdir(out_dir) and os.listdir(out_dir) and not force \
            and not os.path.isfile(os.path.join(out_dir, marker)):
        raise TinyctlError(f"{out_dir} exists and holds files tinyctl did not write; choose another directory "
                           "or pass --force to replace it")


@contextmanager
def staged(out_dir, marker, force, what):
    """Yields a staging directory; on success it replaces out_dir, on any error it disappears."""
    out_dir = os.path.abspath(os.fspath(out_dir))
    check_destination(out_dir, marker, force, what)
    os.makedirs(os.path.dirname(out_dir), exist_ok=True)
    staging = tempfile.mkdtemp(prefix=f".{os.path.basename(out_dir)}.tmp-", dir=os.path.dirname(out_dir))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    old = None
    if os.path.exists(out_dir):
        old = staging + ".old"
        os.rename(out_dir, old)
    os.rename(staging, out_dir)
    if old:
        shutil.rmtree(old, ignore_errors=True)
