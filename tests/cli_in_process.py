"""`commplan …` run in the test's own process, through `commplan.cli.main(argv)`.

A new Python process per command costs about a second (interpreter, imports, plugins): most CLI
tests only check what a command prints and its exit status, which `main` gives as well. This runs
it the way a fresh process would see it: the given environment and working folder, settings read
anew, the COMMPLAN_NOW clock starting over at its instant, stdout/stderr captured as text, and an
argparse exit turned into its status. What is about the process itself (signals, a clock running
from the process start, the `commplan` entry point on PATH, servers) stays a real subprocess.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _stream(data: bytes = b"") -> io.TextIOWrapper:
    # a text stream with a binary `.buffer`, as sys.stdout has (`export ics -o -` writes bytes)
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline=None)


def _text(stream: io.TextIOWrapper) -> str:
    stream.flush()
    buffer = stream.buffer
    assert isinstance(buffer, io.BytesIO)  # as _stream makes it
    return buffer.getvalue().decode("utf-8")


@contextlib.contextmanager
def _environment(env: Mapping[str, str | None]) -> Iterator[None]:
    """`env` over os.environ (None unsets a variable), restored afterwards."""
    saved = {key: os.environ.get(key) for key in env}
    try:
        for key, value in env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _fresh_state() -> None:
    """What a new process would not carry over from an earlier command or test."""
    from commplan import clock
    from commplan.settings import get_settings

    get_settings.cache_clear()  # COMMPLAN_* read again, from this environment
    # a process's clock starts at COMMPLAN_NOW when it starts; in-process the clock would run on from
    # the first time an earlier command or test read the same value
    text = os.environ.get(clock.VARIABLE, "")
    try:
        clock._anchor = (text, clock.parse(text), time.monotonic()) if text.strip() else None
    except clock.ClockError:
        clock._anchor = None  # `main` reports it, as the process would


def run_cli(*args: str, env: Mapping[str, str | None] | None = None, cwd: str | os.PathLike = REPO,
            input: str | None = None) -> subprocess.CompletedProcess:
    """`commplan ARGS` with `env` added to the environment, in `cwd`: its exit status and output, as
    `subprocess.run(..., capture_output=True, text=True)` returns them. An exception `main` lets out
    is raised here (the test fails with its traceback, as the process would have printed it)."""
    from commplan.cli import main

    stdout, stderr, stdin = _stream(), _stream(), _stream((input or "").encode("utf-8"))
    argv = [os.fspath(arg) for arg in args]
    previous = os.getcwd()
    try:
        with _environment(env or {}):
            os.chdir(cwd)
            _fresh_state()
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                saved_stdin, sys.stdin = sys.stdin, stdin
                try:
                    code = main(argv) or 0  # as sys.exit(main()) would exit
                except SystemExit as exit:  # argparse: --help, usage errors
                    code = exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 1)
                    if isinstance(exit.code, str):
                        print(exit.code, file=sys.stderr)
                finally:
                    sys.stdin = saved_stdin
    finally:
        os.chdir(previous)
        _fresh_state()  # nothing of this command's environment stays cached for what runs next
    return subprocess.CompletedProcess(["commplan", *argv], code, _text(stdout), _text(stderr))
