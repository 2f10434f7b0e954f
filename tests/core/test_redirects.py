import pytest
from django.test import RequestFactory

from core.redirects import is_safe_redirect, safe_next_url
from tests.core.hostile_input import HOSTILE_NEXT

DEFAULT = "/safe/default/"


@pytest.mark.parametrize("target", HOSTILE_NEXT)
@pytest.mark.parametrize("method", ["get", "post"])
def test_hostile_next_falls_back_to_the_default(rf: RequestFactory, method, target):
    request = getattr(rf, method)("/somewhere/", {"next": target})
    assert not is_safe_redirect(request, target)
    assert safe_next_url(request, DEFAULT) == DEFAULT


@pytest.mark.parametrize(
    "target",
    [
        "/pipeline/",
        "/pipeline/?scope=unassigned&page=2",
        "/scoping/board/?q=Acme%20Corp",
        "/opportunities/12/#risks",
        "http://testserver/pipeline/",
    ],
)
def test_a_path_on_this_site_is_followed(rf: RequestFactory, target):
    request = rf.post("/somewhere/", {"next": target})
    assert safe_next_url(request, DEFAULT) == target


def test_a_next_in_the_query_string_is_read_too(rf: RequestFactory):
    assert safe_next_url(rf.get("/x/", {"next": "/pipeline/"}), DEFAULT) == "/pipeline/"


def test_no_next_gives_the_default(rf: RequestFactory):
    assert safe_next_url(rf.post("/x/"), DEFAULT) == DEFAULT


def test_over_https_an_absolute_http_url_to_this_host_is_refused(rf: RequestFactory):
    request = rf.post("/x/", {"next": "http://testserver/pipeline/"}, secure=True)
    assert safe_next_url(request, DEFAULT) == DEFAULT
    request = rf.post("/x/", {"next": "https://testserver/pipeline/"}, secure=True)
    assert safe_next_url(request, DEFAULT) == "https://testserver/pipeline/"


def test_a_very_long_next_is_refused(rf: RequestFactory):
    target = "/pipeline/?q=" + "a" * 3000
    assert safe_next_url(rf.post("/x/", {"next": target}), DEFAULT) == DEFAULT
