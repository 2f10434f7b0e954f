"""`make bench` / `python -m bench [name ...]`: print the project's performance figures.

Each part runs in its own process on a fresh database (a new SQLite file, or DATABASE_URL's server
with its own freshly created bench database), so no part sees another's rows. Every figure is
printed with its floor and the ratio measured in the same run. Benchmarks print figures; they never
pass or fail the test run.
"""

from __future__ import annotations

import os
import subprocess
import sys

BENCHES = ["pipeline", "sow_pdf", "salesforce", "forecast", "capacity", "load"]


def main(argv: list[str]) -> int:
    if argv[:1] == ["--in-process"]:
        from bench.setup import django_setup

        name = argv[1]
        django_setup(name)
        module = __import__(f"bench.{name}", fromlist=["run"])
        module.run()
        return 0
    failed = []
    for name in argv or BENCHES:
        print(f"== {name}", flush=True)
        done = subprocess.run([sys.executable, "-m", "bench", "--in-process", name], env=os.environ.copy())
        if done.returncode:
            failed.append(name)
    if failed:
        print(f"parts that did not finish: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
