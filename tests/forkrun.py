"""Many `sfmon` runs from one warm interpreter: `python tests/forkrun.py < jobs.json`.

Each job is a real process: forked after sfmon is imported, it runs `python -m sfmon`'s own
entry point with its argv, cwd and environment, writing to its own stdout and stderr, and
exits with its own code (a traceback would reach its stderr as in any process). Only the
interpreter's start and sfmon's imports (about 0.8 s of each 1.3 s corpus case) are shared.

Input: a JSON list of {"args": [...], "cwd": str, "timeout": seconds}; output: a JSON list
of {"code", "stdout", "stderr", "seconds"}, in order. Two children at a time (the machine's
cores); a child past its timeout is killed and reported with code -9.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import time

WORKERS = 2


def child(job: dict, out: str, err: str) -> None:
    """In the forked child: become `python -m sfmon ARGS` in `cwd`; never returns."""
    code = 1
    try:
        os.chdir(job["cwd"])
        for fd, path in ((1, out), (2, err)):
            target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(target, fd)
            os.close(target)
        sys.stdout = os.fdopen(1, "w", encoding="utf-8", closefd=False)
        sys.stderr = os.fdopen(2, "w", encoding="utf-8", closefd=False)
        sys.argv = ["sfmon", *job["args"]]
        from sfmon.__main__ import main

        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # what an uncaught exception does in a real process: a traceback, exit 1
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def run(jobs: list[dict]) -> list[dict]:
    import sfmon.cli.app  # noqa: F401  (the warm import every child shares)
    import sfmon.pipeline  # noqa: F401

    results: list[dict | None] = [None] * len(jobs)
    running: dict[int, tuple[int, float, str, str]] = {}
    queue = list(range(len(jobs)))
    with tempfile.TemporaryDirectory(prefix="sfmon-forkrun-") as tmp:
        while queue or running:
            while queue and len(running) < WORKERS:
                i = queue.pop(0)
                out, err = os.path.join(tmp, f"{i}.out"), os.path.join(tmp, f"{i}.err")
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
                if pid == 0:
                    child(jobs[i], out, err)
                running[pid] = (i, time.monotonic(), out, err)
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                now = time.monotonic()
                for p, (i, started, _, _) in list(running.items()):
                    if now - started > float(jobs[i].get("timeout", 120)):
                        os.kill(p, signal.SIGKILL)
                time.sleep(0.005)
                continue
            i, started, out, err = running.pop(pid)
            with open(out, encoding="utf-8", errors="replace") as o, open(err, encoding="utf-8", errors="replace") as e:
                results[i] = {"code": os.waitstatus_to_exitcode(status), "stdout": o.read(), "stderr": e.read(), "seconds": time.monotonic() - started}
    return results  # type: ignore[return-value]


if __name__ == "__main__":
    json.dump(run(json.load(sys.stdin)), sys.stdout)
