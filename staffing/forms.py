"""Input parsing for staffing pages; the rules are in staffing.services."""

from __future__ import annotations

from typing import Any

from django import forms

from core.fields import DecimalNumberField, SingleLineCharField
from people.models import DELIVERY_ROLES, Person, Skill
from staffing.models import StaffingRequirement

# One select per skill: not needed, required at a minimum level, or nice to have at a minimum level.
SKILL_CHOICES = [
    ("", "—"),
    *[(f"r{n}", f"Required, level ≥ {n}") for n in range(1, 6)],
    *[(f"n{n}", f"Nice to have, level ≥ {n}") for n in range(1, 6)],
]


class RequirementForm(forms.Form):
    delivery_role = forms.ChoiceField(choices=[(r.value, r.label) for r in DELIVERY_ROLES])
    title = SingleLineCharField(
        required=False, max_length=120, help_text="Optional, e.g. Lead migration engineer."
    )
    hours_per_week = DecimalNumberField(label="Hours per week", max_digits=8, decimal_places=4)
    start_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    customer_time_zone = SingleLineCharField(
        label="Customer's time zone",
        max_length=64,
        help_text="IANA name, e.g. America/New_York.",
        widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"}),
    )
    overlap_hours = DecimalNumberField(
        label="Working-day overlap needed (hours)",
        max_digits=8,
        decimal_places=4,
        initial=4,
        help_text="Hours of the customer's 09:00–17:00 day the person must share (0–8).",
    )
    languages = SingleLineCharField(
        required=False, max_length=500, help_text="Comma-separated, e.g. English, German."
    )
    notes = forms.CharField(required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))
    # Carry the service's skill errors to the skills section.
    required_skills = forms.CharField(required=False, widget=forms.HiddenInput)
    nice_skills = forms.CharField(required=False, widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args: Any, skills: list[Skill], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.skill_keys: list[tuple[Skill, str]] = []
        for skill in skills:
            key = f"skill_{skill.pk}"
            self.fields[key] = forms.ChoiceField(label=skill.name, choices=SKILL_CHOICES, required=False)
            self.skill_keys.append((skill, key))

    @property
    def skill_inputs(self) -> list[forms.BoundField]:
        return [self[key] for _, key in self.skill_keys]

    def skill_levels(self) -> tuple[dict[int, int], dict[int, int]]:
        required: dict[int, int] = {}
        nice: dict[int, int] = {}
        for skill, key in self.skill_keys:
            value = self.cleaned_data.get(key) or ""
            if value:
                (required if value[0] == "r" else nice)[skill.pk] = int(value[1:])
        return required, nice

    @staticmethod
    def initial_for(requirement: StaffingRequirement) -> dict[str, Any]:
        initial: dict[str, Any] = {
            name: getattr(requirement, name)
            for name in (
                "delivery_role",
                "title",
                "hours_per_week",
                "start_date",
                "end_date",
                "customer_time_zone",
                "overlap_hours",
                "notes",
                "version",
            )
        }
        initial["languages"] = ", ".join(requirement.languages or [])
        for rs in requirement.skills.all():
            initial[f"skill_{rs.skill_id}"] = f"{'r' if rs.required else 'n'}{rs.min_level}"
        return initial


def _people_field() -> forms.ModelChoiceField[Person]:
    return forms.ModelChoiceField(
        queryset=Person.objects.filter(active=True, role__in=[r.value for r in DELIVERY_ROLES]).order_by(
            "name"
        ),
        label="Person",
    )


class AssignmentForm(forms.Form):
    """Propose (or, for PS Operations, confirm straight away) a person, optionally for fewer hours or
    part of the period."""

    person = forms.ModelChoiceField(queryset=Person.objects.none(), label="Person")
    hours_per_week = DecimalNumberField(
        label="Hours per week",
        required=False,
        max_digits=8,
        decimal_places=4,
        help_text="Default: the requirement's.",
    )
    start_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    override_reason = forms.CharField(
        label="Override reason (only when confirming over-allocates)",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"] = _people_field()


class ConfirmForm(forms.Form):
    override_reason = SingleLineCharField(required=False, max_length=4000)


class CancelForm(forms.Form):
    reason = SingleLineCharField(required=False, max_length=4000)
