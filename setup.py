"""Maps the top-level folders to import names (compiler/ is tinyctl.compiler, and so on) and ships their data files."""
import fnmatch
import os

from setuptools import find_packages, setup

FOLDERS = {"tinyctl": "tinyctl", "tinyctl.compiler": "compiler", "tinyctl.runtime": "runtime",
           "tinyctl.firmware": "firmware", "tinyctl.training": "training", "tinyctl.hil_tests": "hil_tests"}
DATA = ["*.j2", "*.h", "*.c", "*.ld", "*.s", "*.S", "*.json", "*.ini", "*.txt", "*.md", "Makefile", "Kbuild", "Kconfig"]


def packages_and_dirs():
    packages, dirs = [], {}
    for name, folder in FOLDERS.items():
        packages.append(name)
        dirs[name] = folder
        for sub in find_packages(folder):
            packages.append(f"{name}.{sub}")
            dirs[f"{name}.{sub}"] = os.path.join(folder, *sub.split("."))
    return packages, dirs


def data_files_of(folder):
    """Every data file under folder, relative to it, including folders that hold no Python (C headers, board files)."""
    found = []
    for root, _, files in os.walk(folder):
        for f in files:
            if any(fnmatch.fnmatch(f, pat) for pat in DATA):
                found.append(os.path.relpath(os.path.join(root, f), folder))
    return found


packages, package_dir = packages_and_dirs()
setup(packages=packages, package_dir=package_dir,
      package_data={name: data_files_of(folder) for name, folder in FOLDERS.items()})
