from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.http import QueryDict

from core.fields import IntegerNumberField, SingleLineCharField
from engagements.filters import quarter_choices
from people.models import Region
from people.selectors import engagement_managers
from scoping.models import DeliveryRole, EstimateLine, OfferingCategory, ScopingStatus, ServiceOffering
from scoping.services import LineChange


class ScopingIssueForm(forms.Form):
    title = SingleLineCharField(max_length=200)
    assignee = forms.ModelChoiceField(label="Assignee (EM)", queryset=engagement_managers(), required=False)
    current_state = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    constraints = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    desired_outcomes = forms.CharField(
        label="Desired business outcomes", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    requirements = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    service_types = forms.MultipleChoiceField(
        label="Service types wanted",
        choices=OfferingCategory.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    external_link = SingleLineCharField(label="External tracker link", max_length=500, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = engagement_managers()


class FilterForm(forms.Form):
    q = SingleLineCharField(label="Search", required=False)
    assignee = forms.ModelChoiceField(
        label="EM", queryset=engagement_managers(), required=False, empty_label="Any EM"
    )
    region: forms.ModelChoiceField[Region] = forms.ModelChoiceField(
        label="Region", queryset=Region.objects.all(), required=False, empty_label="Any region"
    )
    quarter = forms.ChoiceField(label="Close quarter", required=False)
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *ScopingStatus.choices]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:

        super().__init__(*args, **kwargs)
        region = self.fields["region"]
        assert isinstance(region, forms.ModelChoiceField)
        region.queryset = Region.objects.all()
        assignee = self.fields["assignee"]
        assert isinstance(assignee, forms.ModelChoiceField)
        assignee.queryset = engagement_managers()
        quarter = self.fields["quarter"]
        assert isinstance(quarter, forms.ChoiceField)
        quarter.choices = [("any", "Any quarter"), *[c for c in quarter_choices() if c[0] != "any"]]
        for name, field in self.fields.items():
            field.widget.attrs["class"] = (
                "form-control form-control-sm" if name == "q" else "form-select form-select-sm"
            )


class MoveForm(forms.Form):
    status = forms.ChoiceField(choices=ScopingStatus.choices)


class AddOfferingForm(forms.Form):
    offering = forms.ModelChoiceField(queryset=ServiceOffering.objects.none(), label="Offering")
    quantity = IntegerNumberField(min_value=1, max_value=10_000, initial=1, label="Quantity (packaged SKUs)")

    def __init__(self, *args: Any, currency: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

        field = self.fields["offering"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = (
            ServiceOffering.objects.filter(active=True)
            .filter(Q(kind=ServiceOffering.Kind.CUSTOM) | Q(currency=currency))
            .order_by("kind", "category", "name")
        )


class AddLineForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[
            (EstimateLine.Kind.ACTIVITY, "Activity (role × hours)"),
            (EstimateLine.Kind.FREE, "Other (quantity × price)"),
        ]
    )
    description = SingleLineCharField(max_length=300)
    role_name = forms.ChoiceField(label="Role", required=False)
    hours = forms.CharField(required=False)
    quantity = forms.CharField(required=False, initial="1")
    unit_price = forms.CharField(label="Unit price", required=False)

    def __init__(self, *args: Any, currency: str = "", **kwargs: Any) -> None:
        # Its own ids: the add-an-offering form on the same page also has a "quantity".
        kwargs.setdefault("auto_id", "id_line_%s")
        super().__init__(*args, **kwargs)
        names = DeliveryRole.objects.filter(active=True, currency=currency).values_list("name", flat=True)
        role = self.fields["role_name"]
        assert isinstance(role, forms.ChoiceField)
        role.choices = [("", "—"), *[(n, n) for n in names]]


class ReviseForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class CommentForm(forms.Form):
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=4000)


class AssistanceForm(forms.Form):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=4000)


def parse_calculator(data: QueryDict, line_ids: list[int]) -> tuple[dict[str, str], list[LineChange]]:
    """Read the calculator's raw values; the service validates them (field errors by name)."""
    values = {
        "contingency_percent": data.get("contingency_percent", "0"),
        "expenses": data.get("expenses", "0"),
        "discount": data.get("discount", "0"),
        "version": data.get("version", ""),
    }
    changes = [
        LineChange(
            line_id=pk,
            description=data.get(f"line-{pk}-description", ""),
            quantity=data.get(f"line-{pk}-quantity"),
            hours=data.get(f"line-{pk}-hours"),
            unit_price=data.get(f"line-{pk}-unit_price"),
            delete=data.get(f"line-{pk}-delete") == "on",
        )
        for pk in line_ids
        if f"line-{pk}-description" in data
    ]
    return values, changes
