"""{% sso_options as sso %}: what the login page offers (single sign-on, the password form)."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag(takes_context=True)
def sso_options(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    enabled = bool(settings.OIDC_ENABLED)
    asked_local = request is not None and (bool(request.GET.get("local")) or request.method == "POST")
    return {
        "enabled": enabled,
        "provider": settings.OIDC_PROVIDER_NAME,
        "local_login": not enabled or settings.OIDC_LOCAL_LOGIN or asked_local,
    }
