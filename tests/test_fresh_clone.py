"""`make test` as a newcomer runs it: from a fresh clone, with none of the TEST_* variables,
on a machine without unixODBC. The clone gets a virtualenv that sees this one's packages
(nothing is downloaded), in which importing pyodbc fails as it does without libodbc."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).parents[1]
NO_LIBODBC = 'raise ImportError("libodbc.so.2: cannot open shared object file: No such file or directory")\n'


def fresh_clone(destination: Path) -> Path:
    """The files git tracks, as they are in the working tree: what a clone of a commit
    of this state would hold."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout, to know which files a clone holds")
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    return destination


def venv_without_libodbc(clone: Path) -> None:
    """`.venv` in the clone, made as `make` would find it done: this environment's packages
    on its path, and a pyodbc that cannot load its shared library."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", clone / ".venv"], check=True)
    python = clone / ".venv" / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(site) / "pyodbc.py").write_text(NO_LIBODBC)
    (Path(site) / "parent.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")


def unmet(pyproject: Path, extras: tuple[str, ...]) -> list[str]:
    """The requirements of the project with `extras` that the installed packages miss."""
    project = tomllib.loads(pyproject.read_text())["project"]
    wanted = [Requirement(line) for line in project["dependencies"]]
    pending, seen = list(extras), set()
    while pending:
        extra = pending.pop()
        seen.add(extra)
        for requirement in map(Requirement, project["optional-dependencies"][extra]):
            if requirement.name == project["name"]:  # `all = ["<this project>[postgres,...]"]`
                pending += sorted(requirement.extras - seen)
            else:
                wanted.append(requirement)
    missing = []
    for requirement in wanted:
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        try:
            installed = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            missing.append(f"{requirement} (not installed)")
            continue
        if not requirement.specifier.contains(installed, prereleases=True):
            missing.append(f"{requirement} (installed: {installed})")
    return missing


def newcomer_env() -> dict[str, str]:
    """A shell with none of the tests' or the service's variables."""
    return {
        name: value
        for name, value in os.environ.items()
        # MAKEFLAGS and MAKELEVEL too: under `make test` (as CI runs it) the clone's make
        # would run as a sub-make and print "Leaving directory" after the tests' summary.
        if not name.startswith(
            ("TEST_", "REQUIRE_BACKENDS", "DB_", "DATABASES", "PYTEST", "PYTHONPATH", "MAKE", "MFLAGS")
        )
    }


def test_make_test_collects_everything_from_a_fresh_clone_without_libodbc(tmp_path: Path) -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    clone = fresh_clone(tmp_path / "clone")
    venv_without_libodbc(clone)
    env = newcomer_env()

    # `make test`'s install step, offline: what it asks for must be what this run has.
    assert unmet(clone / "pyproject.toml", ("all", "dev", "bench")) == []
    (clone / ".venv" / ".dev").touch()  # what `make` checks to skip the (online) install
    (clone / ".venv" / ".run").touch()

    collected = subprocess.run(
        ["make", "test", "PYTEST_ARGS=--collect-only -q"],
        cwd=clone, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert collected.returncode == 0, collected.stdout[-5000:] + collected.stderr[-5000:]
    assert "tests collected" in collected.stdout
    assert not re.search(r"\berrors?\b|ERROR collecting", collected.stdout.splitlines()[-1])
    assert "tests/test_sqlserver.py::test_the_freetds_odbc_driver_loads" in collected.stdout

    ran = subprocess.run(
        ["make", "test", "PYTEST_ARGS=-q -p no:cacheprovider tests/test_sqlserver.py"],
        cwd=clone, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stdout[-5000:] + ran.stderr[-5000:]
    assert "sqlserver is not available (pyodbc cannot load: libodbc.so.2" in ran.stdout
    lines = ran.stdout.strip().splitlines()
    backends_section = lines[lines.index(next(line for line in lines if " backends " in line)) + 1 :]
    assert backends_section[0].startswith("ran      memory: in process")
    assert any(line.startswith("not run  sqlserver: pyodbc cannot load") for line in backends_section)
    assert "skipped" in lines[-1]
