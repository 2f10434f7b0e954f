"""The API tokens page: each user creates and revokes their own tokens; administrators see and
revoke everyone's. A new token's secret is shown once, on the page that created it."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from api import access, selectors, services
from api.forms import TokenForm
from core.service_errors import apply_to_form
from core.types import HtmxHttpRequest


def _page(request: HtmxHttpRequest, form: TokenForm, *, secret: str = "", status: int = 200) -> HttpResponse:
    return render(
        request,
        "api/tokens.html",
        {
            "form": form,
            "secret": secret,
            "tokens": list(selectors.tokens_for(request.user)),
            "all_tokens": list(selectors.all_tokens(request.user))
            if access.can_see_all_tokens(request.user)
            else None,
            "active_nav": "api:tokens",
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def tokens(request: HtmxHttpRequest) -> HttpResponse:
    access.can_create_token.require(request.user)
    if request.method != "POST":
        return _page(request, TokenForm())
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            new = services.token_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                expires_in_days=form.cleaned_data["expires_in_days"],
            )
        except ValidationError as exc:
            apply_to_form(form, exc)
        else:
            # Rendered, not redirected: the secret is never stored, so it can only be shown now.
            return _page(request, TokenForm(), secret=new.secret)
    return _page(request, form, status=400)


@require_POST
def token_revoke(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    token = selectors.token_for_user(user=request.user, pk=pk)
    services.token_revoke(actor=request.user, token=token)
    messages.success(request, f"The token “{token.name}” is revoked; it no longer works.")
    return redirect("api:tokens")
