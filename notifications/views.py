"""The notifications list, opening and marking read, and each user's preferences."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from core.redirects import is_safe_redirect, safe_next_url
from core.types import HtmxHttpRequest
from notifications import selectors, services
from notifications.forms import PreferencesForm
from notifications.models import Notification

PAGE_SIZE = 25


@require_GET
def notification_list(request: HtmxHttpRequest) -> HttpResponse:
    """The user's notifications, unread first, a page at a time."""
    page = Paginator(selectors.inbox(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/list.html",
        {"page": page, "rows": list(page.object_list), "active_nav": "notifications:list"},
    )


def _own(request: HtmxHttpRequest, pk: int) -> Notification:
    # Someone else's notification is not found, as if it did not exist.
    return get_object_or_404(Notification, pk=pk, user_id=request.user.pk, in_app=True)


@require_POST
def notification_open(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Mark the notification read and go to the page it is about."""
    notification = services.notification_mark_read(actor=request.user, notification=_own(request, pk))
    if notification.link and is_safe_redirect(request, notification.link):
        return redirect(notification.link)
    return redirect("notifications:list")


@require_POST
def notification_read(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    services.notification_mark_read(actor=request.user, notification=_own(request, pk))
    return redirect(safe_next_url(request, reverse("notifications:list")))


@require_POST
def notification_read_all(request: HtmxHttpRequest) -> HttpResponse:
    count = services.notification_mark_all_read(actor=request.user)
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} read.")
    return redirect(safe_next_url(request, reverse("notifications:list")))


def notification_preferences(request: HtmxHttpRequest) -> HttpResponse:
    """Per kind: whether to see it in the app and whether to get it by email."""
    rows = selectors.preferences_for(request.user)
    form = PreferencesForm(request.POST or None, rows=rows)
    if request.method == "POST" and form.is_valid():
        services.notification_preferences_set(actor=request.user, choices=form.choices())
        messages.success(request, "Your notification preferences were saved.")
        return redirect("notifications:preferences")
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "active_nav": "notifications:preferences"},
    )
