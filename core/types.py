"""Type aliases shared by services, selectors and views."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

AnyUser = User | AnonymousUser


class HtmxHttpRequest(HttpRequest):
    """A request that went through django-htmx's middleware (settings.MIDDLEWARE)."""

    htmx: HtmxDetails
    user: User  # every view but login requires a logged-in user (LoginRequiredMiddleware)
