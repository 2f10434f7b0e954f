"""An approver's delegation page: hand one's approval steps to a delegate while away."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from core.service_errors import apply_to_form
from core.types import HtmxHttpRequest
from notifications.selectors import users_with_permission
from people.models import Person
from sow import access
from sow.models import Delegation
from sow.services import ladder


class DelegationForm(forms.Form):
    delegate = forms.ModelChoiceField(queryset=Person.objects.none(), required=False)
    starts_on = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(
        label="Until (inclusive)", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(required=False, max_length=300)

    def __init__(self, *args: object, exclude: int | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        choices = Person.objects.filter(
            active=True, user__in=users_with_permission(ladder.DIRECTOR_PERMISSION)
        )
        if exclude is not None:
            choices = choices.exclude(pk=exclude)
        self.fields["delegate"].queryset = choices  # type: ignore[attr-defined]


@require_http_methods(["GET", "POST"])
def delegations(request: HtmxHttpRequest) -> HttpResponse:
    access.can_decide_sows.require(request.user)
    person = Person.objects.filter(user_id=request.user.pk).first()
    form = DelegationForm(request.POST or None, exclude=person.pk if person else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ladder.delegation_set(
                actor=request.user,
                delegate=data["delegate"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                note=data["note"],
            )
        except ValidationError as exc:
            apply_to_form(form, exc)
        else:
            messages.success(request, "Your approval steps go to your delegate on those days.")
            return redirect("sow:delegations")
    rows = list(
        Delegation.objects.filter(person=person).select_related("delegate").order_by("-starts_on")
        if person
        else []
    )
    standing_in = list(
        Delegation.objects.filter(delegate=person, ends_on__gte=timezone.localdate()).select_related("person")
        if person
        else []
    )
    return render(
        request,
        "sow/delegations.html",
        {"form": form, "rows": rows, "standing_in": standing_in, "today": timezone.localdate()},
    )


@require_POST
def delegation_end(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access.can_decide_sows.require(request.user)
    delegation = get_object_or_404(
        Delegation.objects.select_related("person"), pk=pk, person__user=request.user
    )
    ladder.delegation_end(actor=request.user, delegation=delegation)
    messages.success(request, "The delegation is ended.")
    return redirect("sow:delegations")
