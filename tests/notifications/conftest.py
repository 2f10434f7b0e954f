"""The SOW and Salesforce fixtures, shared with the notification tests."""

from tests.salesforce.conftest import fake_org, fake_sf, sf_settings  # noqa: F401
from tests.sow.conftest import catalog, director, draft, ready_issue, second_director  # noqa: F401
