"""Fakes of external systems the project talks to, for tests and local demos.

`python -m tests.fakes` (or `make fake-salesforce`) runs the fake Salesforce org with demo data.
"""

from tests.fakes.fake_salesforce import FakeSalesforce

__all__ = ["FakeSalesforce"]
