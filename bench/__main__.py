"""`make bench` / `python -m bench [name ...]`: print the project's performance figures.

Benchmarks print figures; they never pass or fail the test run.
"""

from __future__ import annotations

import sys

from bench.setup import django_setup

BENCHES = ["pipeline", "sow_pdf", "salesforce", "forecast", "capacity"]


def main(argv: list[str]) -> None:
    names = argv or BENCHES
    django_setup()
    for name in names:
        module = __import__(f"bench.{name}", fromlist=["run"])
        module.run()


if __name__ == "__main__":
    main(sys.argv[1:])
