"""The whole-CLI fuzz test (tests/test_fuzz.py) with many more examples and fresh randomness.

    python benchmarks/fuzz_cli.py                 # 200 examples per command
    python benchmarks/fuzz_cli.py 1000 add set    # 1000 examples, two commands

Prints, per command, the time taken, the exit codes seen, and every failure (a traceback,
an undocumented exit code, a file changed that must not be) and every crash already known
to be fixed elsewhere (tests/test_fuzz.py ELSEWHERE).  Exit code 1 when any failure.
"""

from __future__ import annotations

import collections
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main(argv: list[str]) -> int:
    examples = int(argv[0]) if argv and argv[0].isdigit() else 200
    names = [a for a in argv if not a.isdigit()]
    os.environ.setdefault("REFBOOK_CACHE_DIR", str(REPO / "benchmarks" / "data" / "fuzz-cache"))
    os.environ.setdefault("REFBOOK_CONFIG_DIR", str(REPO / "benchmarks" / "data" / "fuzz-config"))
    for name in list(os.environ):
        if name.startswith("REFBOOK_") and name not in ("REFBOOK_CACHE_DIR", "REFBOOK_CONFIG_DIR"):
            del os.environ[name]
    import pytest
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from tests import test_fuzz

    codes: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    real_run = test_fuzz.run_refbook

    def counting(argv, cwd, stdin, env):
        result = real_run(argv, cwd, stdin, env)
        name = next(a for a in argv if a in commands)
        codes[name][result[0]] += 1
        return result

    test_fuzz.run_refbook = counting
    commands = names or test_fuzz._commands()
    failures = 0
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; {examples} examples per command"
    )

    def prop_for(name: str):
        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(st.data())
        def prop(data):
            test_fuzz.check_command(name, data)

        return prop

    for name in commands:
        prop = prop_for(name)

        known_before = len(test_fuzz.KNOWN_SEEN)
        start = time.perf_counter()
        try:
            prop()
            verdict = "ok"
        except pytest.fail.Exception as exc:
            failures += 1
            verdict = f"FAILED\n    {str(exc)[:2000]}"
        except Exception as exc:  # hypothesis re-raises the shrunk failure
            failures += 1
            verdict = f"FAILED\n    {type(exc).__name__}: {str(exc)[:2000]}"
        took = time.perf_counter() - start
        seen = dict(sorted(codes[name].items()))
        print(f"{name:11s} {took:7.1f} s  exit codes {seen}  {verdict}")
        for line in sorted(set(test_fuzz.KNOWN_SEEN[known_before:])):
            print(f"    known, fixed elsewhere: {line[:300]}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
