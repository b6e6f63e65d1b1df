"""Run many exported scripts in one Python process, each as `python script.py ARGS` would.

Starting Python and importing TensorFlow (or PyTorch) costs seconds per process;
the scripts' own work is milliseconds. So a test module writes all its scripts
first and runs them here in one subprocess: each in its own folder, with its own
argv and environment, `__name__ == "__main__"`, its stdout and stderr captured and
`sys.exit` turned into an exit code.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import runpy
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Job:
    script: Path
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()  # set for this script only


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str


def run_scripts(jobs: list[Job], timeout: int = 600) -> list[Result]:
    """Each job's result, in order, from one fresh interpreter."""
    spec = [{"script": str(j.script), "args": list(j.args), "env": dict(j.env)} for j in jobs]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, __file__], input=json.dumps(spec),
                          capture_output=True, text=True, timeout=timeout, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return [Result(**item) for item in json.loads(done.stdout.strip().splitlines()[-1])]


def _run_one(job: dict) -> dict:
    script = Path(job["script"])
    saved_env, saved_argv, saved_cwd = dict(os.environ), sys.argv, os.getcwd()
    out, err = io.StringIO(), io.StringIO()
    code = 0
    os.environ.update(job["env"])
    os.chdir(script.parent)
    sys.argv = [str(script), *job["args"]]
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                runpy.run_path(str(script), run_name="__main__")
            except SystemExit as stop:
                if isinstance(stop.code, str):
                    print(stop.code, file=sys.stderr)
                    code = 1
                else:
                    code = stop.code or 0
            except BaseException:  # noqa: BLE001 - reported as the script's traceback
                import traceback

                traceback.print_exc()
                code = 1
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        sys.argv = saved_argv
        os.chdir(saved_cwd)
    return {"returncode": code, "stdout": out.getvalue(), "stderr": err.getvalue()}


def _main() -> None:
    jobs = json.loads(sys.stdin.read())
    results = []
    for job in jobs:
        results.append(_run_one(job))
        if "keras" in sys.modules:  # a fresh graph and name counters for the next script
            sys.modules["keras"].backend.clear_session()
    sys.stdout.write("\n" + json.dumps(results) + "\n")


if __name__ == "__main__":
    _main()
