"""Writing a training command's output directory: everything lands at once, and nothing a user had is lost.

Files are written into a staging directory beside DIR and moved in at the end; a file that already exists in
DIR is refused unless force is given (then replaced), and other files in DIR are left alone.
"""
import os
import shutil
import tempfile

from tinyctl.errors import TinyctlError


def check(out_dir, names, force):
    if os.path.isfile(out_dir):
        raise TinyctlError(f"{out_dir} is a file; give a directory with -o")
    clash = [n for n in names if os.path.exists(os.path.join(out_dir, n))]
    if clash and not force:
        raise TinyctlError(f"{out_dir} already holds {', '.join(sorted(clash))}; choose another -o or pass --force "
                           "to replace them")


def write(out_dir, writers, force):
    """writers: {file name: fn(path)}; each fn writes its file. Returns the paths written."""
    out_dir = os.path.abspath(out_dir)
    check(out_dir, writers, force)
    os.makedirs(out_dir, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".tinyctl-", dir=out_dir)
    try:
        for name, fn in writers.items():
            fn(os.path.join(staging, name))
        paths = []
        for name in writers:
            os.replace(os.path.join(staging, name), os.path.join(out_dir, name))
            paths.append(os.path.join(out_dir, name))
        return paths
    finally:
        shutil.rmtree(staging, ignore_errors=True)
