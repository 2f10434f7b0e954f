from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Coalesce
from django.urls import reverse
from simple_history.models import HistoricalRecords

from core.models import TimeStampedModel
from core.money import CurrencyField, MoneyField
from engagements.models import Opportunity
from people.models import Person, Region, validate_time_zone
from scoping.models import DeliveryRole, Estimate, EstimateLine, OfferingCategory, ScopingIssue


def signed_copy_path(instance: models.Model, filename: str) -> str:
    """A random name: files are served only through the views that check access, and a name that
    could be guessed from the SOW reference would expose them to anything serving the media folder."""
    return f"sow/signed/{secrets.token_urlsafe(24)}.pdf"


def document_path(instance: models.Model, filename: str) -> str:
    """A random name for a rendered PDF (see signed_copy_path); downloads are named by the view."""
    return f"sow/pdf/{secrets.token_urlsafe(24)}.pdf"


class PricingType(models.TextChoices):
    FIXED_FEE = "fixed_fee", "Fixed fee"
    TIME_AND_MATERIALS = "time_materials", "Time and materials"
    SKU = "sku", "Packaged service"


# Section fields of a SOW version, in document order, with the label used on pages and in the PDF.
SECTIONS: list[tuple[str, str]] = [
    ("objectives", "Objectives and desired outcomes"),
    ("scope", "Scope"),
    ("deliverables", "Deliverables"),
    ("assumptions", "Assumptions"),
    ("out_of_scope", "Out of scope"),
    ("customer_responsibilities", "Customer responsibilities"),
    ("staffing_requirements", "Staffing requirements"),
    ("period_of_performance", "Period of performance"),
    ("payment_schedule", "Payment and invoicing schedule"),
    ("risks", "Risks"),
]
# Sections that must be filled before a SOW may be submitted.
MANDATORY_SECTIONS = [
    "objectives",
    "scope",
    "deliverables",
    "assumptions",
    "out_of_scope",
    "customer_responsibilities",
    "period_of_performance",
    "payment_schedule",
]


class SowTemplate(TimeStampedModel):
    """Default section texts per offering category (Markdown), kept by Practice Managers."""

    category = models.CharField(max_length=20, choices=OfferingCategory.choices, unique=True)
    deliverables = models.TextField(blank=True)
    assumptions = models.TextField(blank=True)
    out_of_scope = models.TextField(blank=True)
    customer_responsibilities = models.TextField(blank=True)
    staffing_requirements = models.TextField(blank=True)
    period_of_performance = models.TextField(blank=True)
    payment_schedule = models.TextField(blank=True)
    pricing_type = models.CharField(max_length=16, choices=PricingType.choices, default=PricingType.FIXED_FEE)
    validity_days = models.PositiveIntegerField(default=30, help_text="Days until the SOW offer expires.")

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["category"]

    def __str__(self) -> str:
        return f"SOW template: {self.get_category_display()}"


class MarginTarget(models.Model):
    """Minimum margin for an offering category; the settings default applies to the rest."""

    category = models.CharField(max_length=20, choices=OfferingCategory.choices, unique=True)
    target_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    floor_percent = models.DecimalField(
        "margin floor (percent)",
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=(
            "Below the target a justification is enough; below the floor the approval rule for the "
            "floor must approve, and the SOW cannot be sent without it. Blank: no floor."
        ),
    )

    class Meta:
        ordering = ["category"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(floor_percent__isnull=True)
                | models.Q(floor_percent__lte=models.F("target_percent")),
                name="margintarget_floor_not_above_target",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.target_percent} %"


class SupplierEntity(TimeStampedModel):
    """The legal entity that contracts and signs SOWs, with its address and the agreement the SOWs
    come under: one default (no region) and, where a region contracts through its own entity, one for
    that region. Kept by administrators in the admin; every PDF reads it when rendered."""

    region = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Blank for the default entity; set for a region that contracts through its own.",
    )
    legal_name = models.CharField("legal entity", max_length=255)
    address = models.TextField(help_text="Registered address, one line per line.")
    agreement_title = models.CharField(max_length=100, default="Master Services Agreement")
    agreement_reference = models.CharField(
        "agreement reference (MSA)",
        max_length=100,
        help_text="The master agreement every SOW of this entity is made under.",
    )
    signatory_name = models.CharField(max_length=200, blank=True, help_text="Printed under its signature.")
    signatory_title = models.CharField(max_length=200, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["region__code"]
        verbose_name = "supplier legal entity"
        verbose_name_plural = "supplier legal entities"
        constraints = [
            # One default entity, and at most one per region.
            models.UniqueConstraint(Coalesce("region", 0), name="supplierentity_one_per_region"),
        ]

    def __str__(self) -> str:
        return f"{self.legal_name} ({self.region.code if self.region else 'default'})"


class Sow(TimeStampedModel):
    """A statement of work for one deal; its content lives in numbered versions."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.PROTECT, related_name="sows")
    scoping_issue = models.ForeignKey(ScopingIssue, on_delete=models.PROTECT, related_name="sows")
    title = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-created_at"]
        permissions = [("approve_sow", "Can approve or request changes to submitted SOWs")]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def reference(self) -> str:
        return f"SOW-{self.pk:05d}"

    def get_absolute_url(self) -> str:
        return reverse("sow:detail", args=[self.pk])


class SowStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"
    SENT = "sent", "Sent"
    SIGNED = "signed", "Signed"
    HANDED_OFF = "handed_off", "Handed off"
    WITHDRAWN = "withdrawn", "Withdrawn"
    SUPERSEDED = "superseded", "Superseded"


PRE_SIGNATURE = frozenset(
    {
        SowStatus.DRAFT,
        SowStatus.SUBMITTED,
        SowStatus.CHANGES_REQUESTED,
        SowStatus.APPROVED,
        SowStatus.SENT,
    }
)


class SowVersion(TimeStampedModel):
    sow = models.ForeignKey(Sow, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=SowStatus.choices, default=SowStatus.DRAFT)
    estimate = models.ForeignKey(Estimate, on_delete=models.PROTECT, related_name="sow_versions")
    category = models.CharField(max_length=20, choices=OfferingCategory.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objectives = models.TextField(blank=True)
    scope = models.TextField(blank=True)
    deliverables = models.TextField(blank=True)
    assumptions = models.TextField(blank=True)
    out_of_scope = models.TextField(blank=True)
    customer_responsibilities = models.TextField(blank=True)
    staffing_requirements = models.TextField(blank=True)
    period_of_performance = models.TextField(blank=True)
    payment_schedule = models.TextField(blank=True)
    risks = models.TextField(blank=True)
    recommendation = models.TextField(
        "recommendation to the approver", blank=True, help_text="Risks, negotiation strategy; not in the PDF."
    )
    pricing_type = models.CharField(max_length=16, choices=PricingType.choices, default=PricingType.FIXED_FEE)
    total = MoneyField()
    currency = CurrencyField()
    expiry_date = models.DateField(null=True, blank=True)
    effective_date = models.DateField(
        null=True, blank=True, help_text="When the SOW takes effect; blank: on signature by both parties."
    )
    below_target_justification = models.TextField(blank=True)
    non_standard_terms = models.BooleanField(
        default=False, help_text="The SOW departs from the standard terms (the approval rules may ask Legal)."
    )
    non_standard_terms_note = models.TextField(
        "non-standard terms note", blank=True, help_text="What departs from the standard terms, and why."
    )

    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateField(null=True, blank=True)
    sent_to = models.TextField(blank=True)
    signed_at = models.DateField(null=True, blank=True)
    signed_copy = models.FileField(upload_to=signed_copy_path, blank=True)
    withdrawn_reason = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1, help_text="Optimistic-locking counter.")

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["sow", "number"]
        constraints = [models.UniqueConstraint(fields=["sow", "number"], name="sowversion_sow_number")]

    def __str__(self) -> str:
        return f"{self.sow.reference} v{self.number}"

    @property
    def label(self) -> str:
        return f"v{self.number}"

    @property
    def is_editable(self) -> bool:
        return self.status == SowStatus.DRAFT

    @property
    def is_before_signature(self) -> bool:
        return self.status in PRE_SIGNATURE

    def get_absolute_url(self) -> str:
        return reverse("sow:version", args=[self.pk])


class CostEstimate(TimeStampedModel):
    """The cost of delivering one SOW version (COGS)."""

    sow_version = models.OneToOneField(SowVersion, on_delete=models.CASCADE, related_name="cost_estimate")
    notes = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"COGS for {self.sow_version}"


class LineKind(models.TextChoices):
    """What a priced line sells, for the margin by kind: each price has its cost in the same kind."""

    LABOUR = "labour", "Labour"
    PACKAGED = "packaged", "Packaged services"
    PASS_THROUGH = "pass_through", "Pass-through (licences, partner fees)"
    EXPENSES = "expenses", "Travel & expenses"
    DISCOUNT = "discount", "Discount"


# The kind of price an estimate line is, by the estimate line's own kind.
ESTIMATE_LINE_KIND: dict[str, str] = {
    EstimateLine.Kind.ACTIVITY: LineKind.LABOUR,
    EstimateLine.Kind.SKU: LineKind.PACKAGED,
    EstimateLine.Kind.FREE: LineKind.PASS_THROUGH,
}


class CostLine(models.Model):
    class Kind(models.TextChoices):
        ROLE = "role", "Delivery role"
        PERSON = "person", "Named person"
        PARTNER = "partner", "Partner / subcontractor"
        TRAVEL = "travel", "Travel"
        PASS_THROUGH = "pass_through", "Pass-through (licence, partner fee)"

    cost_estimate = models.ForeignKey(CostEstimate, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    description = models.CharField(max_length=300)
    delivery_role = models.ForeignKey(
        DeliveryRole,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Delivery-role lines: the rate-card role whose cost rate was copied.",
    )
    role_name = models.CharField(max_length=100, blank=True, help_text="The role's name as it was copied.")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    estimate_line = models.ForeignKey(
        EstimateLine,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The priced line of the estimate this line costs.",
    )
    hours = models.DecimalField(max_digits=9, decimal_places=2, default=Decimal("0"))
    cost_rate = MoneyField(default=Decimal("0"), help_text="Copied when the line is added.")
    amount = MoneyField(
        default=Decimal("0"), help_text="Partner, travel and pass-through lines: the cost itself."
    )
    no_cost_reason = models.TextField(
        blank=True, help_text="Why this line costs nothing (required when its cost is zero)."
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.description

    @property
    def is_hourly(self) -> bool:
        return self.kind in (self.Kind.ROLE, self.Kind.PERSON)

    @property
    def cost(self) -> Decimal:
        if self.is_hourly:
            return self.hours * self.cost_rate
        return self.amount

    @property
    def line_kind(self) -> str:
        """The kind of price this line costs: its estimate line's kind, else its own."""
        if self.estimate_line_id is not None and self.estimate_line is not None:
            return ESTIMATE_LINE_KIND.get(self.estimate_line.kind, LineKind.LABOUR.value)
        if self.kind == self.Kind.TRAVEL:
            return LineKind.EXPENSES
        if self.kind == self.Kind.PASS_THROUGH:
            return LineKind.PASS_THROUGH
        return LineKind.LABOUR


class Approval(models.Model):
    class Decision(models.TextChoices):
        APPROVED = "approved", "Approved"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"

    sow_version = models.ForeignKey(SowVersion, on_delete=models.CASCADE, related_name="approvals")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    decision = models.CharField(max_length=20, choices=Decision.choices)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} {self.sow_version}"


class SowDocument(TimeStampedModel):
    """A rendered PDF of a version: a DRAFT-watermarked one before approval, a final one after."""

    class Kind(models.TextChoices):
        DRAFT = "draft", "Draft (watermarked)"
        FINAL = "final", "Final"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RENDERING = "rendering", "Rendering"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    sow_version = models.ForeignKey(SowVersion, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=5, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    file = models.FileField(upload_to=document_path, blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    rendered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sow_version", "kind"], name="sowdocument_version_kind")
        ]

    def __str__(self) -> str:
        return f"{self.sow_version} {self.kind} PDF ({self.status})"


class HandOff(TimeStampedModel):
    sow_version = models.OneToOneField(SowVersion, on_delete=models.CASCADE, related_name="hand_off")
    delivery_lead = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    kickoff_date = models.DateField()
    staffing_confirmed = models.BooleanField(default=False)
    staffing_override_reason = models.TextField(
        blank=True, help_text="Why staffing was confirmed although not every requirement was covered."
    )
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    def __str__(self) -> str:
        return f"Hand-off of {self.sow_version}"


class ApprovalQueueItem(SowVersion):
    """The PS Director's approval queue in the admin (submitted versions)."""

    class Meta:
        proxy = True
        verbose_name = "SOW awaiting approval"
        verbose_name_plural = "SOW approval queue"


def change_request_signed_path(instance: models.Model, filename: str) -> str:
    """A random name, like a SOW's signed copy (see signed_copy_path)."""
    return f"sow/cr-signed/{secrets.token_urlsafe(24)}.pdf"


def change_request_document_path(instance: models.Model, filename: str) -> str:
    return f"sow/cr-pdf/{secrets.token_urlsafe(24)}.pdf"


class ChangeRequestStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"
    SENT = "sent", "Sent"
    SIGNED = "signed", "Signed"
    WITHDRAWN = "withdrawn", "Withdrawn"


# The change requests whose price counts in the SOW's current contract value: every one a PS Director
# approved (sent to the customer and signed included); drafts, those waiting or sent back, and withdrawn
# ones do not.
CONTRACT_STATUSES = frozenset(
    {ChangeRequestStatus.APPROVED, ChangeRequestStatus.SENT, ChangeRequestStatus.SIGNED}
)


class ChangeRequest(TimeStampedModel):
    """A change to a signed SOW: what changes in scope (its lines), the price and cost that come with
    it, why, and what it does to the dates; approved like a SOW and signed by the customer."""

    sow = models.ForeignKey(Sow, on_delete=models.PROTECT, related_name="change_requests")
    sow_version = models.ForeignKey(
        SowVersion,
        on_delete=models.PROTECT,
        related_name="change_requests",
        help_text="The signed version this change request changes.",
    )
    number = models.PositiveIntegerField()
    status = models.CharField(
        max_length=20, choices=ChangeRequestStatus.choices, default=ChangeRequestStatus.DRAFT
    )
    title = models.CharField(max_length=200)
    reason = models.TextField(blank=True, help_text="Why the scope changes.")
    schedule_impact = models.TextField("effect on dates", blank=True)
    new_end_date = models.DateField(null=True, blank=True, help_text="Blank: the end date does not change.")
    estimate = models.ForeignKey(
        Estimate,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="change_requests",
        help_text="The revised estimate the scope lines were taken from, if any.",
    )
    currency = CurrencyField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    below_target_justification = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateField(null=True, blank=True)
    sent_to = models.TextField(blank=True)
    signed_at = models.DateField(null=True, blank=True)
    signed_copy = models.FileField(upload_to=change_request_signed_path, blank=True)
    withdrawn_reason = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1, help_text="Optimistic-locking counter.")

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["sow", "number"]
        constraints = [models.UniqueConstraint(fields=["sow", "number"], name="changerequest_sow_number")]

    def __str__(self) -> str:
        return f"{self.sow.reference} {self.label}"

    @property
    def label(self) -> str:
        return f"CR-{self.number}"

    @property
    def is_editable(self) -> bool:
        return self.status == ChangeRequestStatus.DRAFT

    @property
    def counts_in_contract(self) -> bool:
        return self.status in CONTRACT_STATUSES

    def get_absolute_url(self) -> str:
        return reverse("sow:cr_detail", args=[self.pk])


class ChangeRequestLine(models.Model):
    """One line of a change request's scope delta: a line added, removed or changed, with what it does
    to the price and to the cost (signed: a removed line takes its price and cost off)."""

    class Change(models.TextChoices):
        ADDED = "added", "Added"
        REMOVED = "removed", "Removed"
        CHANGED = "changed", "Changed"

    change_request = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE, related_name="lines")
    change = models.CharField(max_length=8, choices=Change.choices)
    kind = models.CharField(max_length=12, choices=LineKind.choices)
    description = models.CharField(max_length=300)
    delivery_role = models.ForeignKey(
        DeliveryRole, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    role_name = models.CharField(max_length=100, blank=True)
    hours_delta = models.DecimalField(max_digits=9, decimal_places=2, default=Decimal("0"))
    bill_rate = MoneyField(default=Decimal("0"), help_text="Labour lines: copied when the line is added.")
    cost_rate = MoneyField(default=Decimal("0"), help_text="Labour lines: copied when the line is added.")
    price_delta = MoneyField(default=Decimal("0"))
    cost_delta = MoneyField(default=Decimal("0"))
    no_cost_reason = models.TextField(blank=True)
    from_estimate = models.BooleanField(default=False, help_text="Taken from the revised estimate.")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.get_change_display()}: {self.description}"


class ChangeRequestApproval(models.Model):
    """A PS Director's decision on a change request (who, when, decision, comment)."""

    change_request = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE, related_name="approvals")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    decision = models.CharField(max_length=20, choices=Approval.Decision.choices)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} {self.change_request}"


class ChangeRequestDocument(TimeStampedModel):
    """A change request's rendered PDF: DRAFT-watermarked until approved, final after."""

    change_request = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=5, choices=SowDocument.Kind.choices)
    status = models.CharField(
        max_length=10, choices=SowDocument.Status.choices, default=SowDocument.Status.QUEUED
    )
    file = models.FileField(upload_to=change_request_document_path, blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    rendered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["change_request", "kind"], name="crdocument_request_kind")
        ]

    def __str__(self) -> str:
        return f"{self.change_request} {self.kind} PDF ({self.status})"


# --------------------------------------------------------------------------- the approval ladder


class WorkingCalendar(TimeStampedModel):
    """When a region works: its working days and hours in its time zone. Service levels of approval
    steps count only these hours. The calendar without a region is the default for the rest."""

    region = models.OneToOneField(
        Region,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="working_calendar",
        help_text="Blank for the default calendar.",
    )
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    working_days = models.CharField(
        max_length=7,
        default="12345",
        help_text="ISO weekday numbers that are working days: 1 = Monday … 7 = Sunday (e.g. 12345).",
        validators=[
            RegexValidator(r"^[1-7]{1,7}$", "Give weekday numbers 1 (Monday) to 7 (Sunday), e.g. 12345.")
        ],
    )
    day_start = models.TimeField(default=dt.time(9, 0))
    day_end = models.TimeField(default=dt.time(17, 0))

    class Meta:
        ordering = ["region__code"]
        constraints = [
            models.UniqueConstraint(Coalesce("region", 0), name="workingcalendar_one_per_region"),
            models.CheckConstraint(
                condition=models.Q(day_end__gt=models.F("day_start")),
                name="workingcalendar_day_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"Working calendar {self.region.code if self.region else '(default)'}"


class ApproverRole(TimeStampedModel):
    """A role that approves SOWs (Finance, VP PS, Legal…), kept apart from login roles: a login's
    role gives access to the approval queue; membership here decides which ladder steps are theirs."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ApproverRoleMember(models.Model):
    """A person who holds an approver role, for every region or for one."""

    role = models.ForeignKey(ApproverRole, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="approver_roles")
    region = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Blank: every region. Region-scoped steps go only to members of the SOW's region.",
    )

    class Meta:
        ordering = ["role", "person__name"]
        constraints = [
            models.UniqueConstraint(
                "role", "person", Coalesce("region", 0), name="approverrolemember_once_per_region"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.role}{f' ({self.region})' if self.region_id else ''}"


class ApprovalRule(TimeStampedModel):
    """When a submitted SOW (or change request) matches every condition set here, its ladder gets
    one more step: the approver role or the named person, with its service level."""

    class AppliesTo(models.TextChoices):
        SOWS = "sows", "SOWs"
        CHANGE_REQUESTS = "change_requests", "Change requests"
        BOTH = "both", "SOWs and change requests"

    name = models.CharField(max_length=200)
    active = models.BooleanField(default=True)
    order = models.PositiveIntegerField(
        default=10, help_text="Steps run in this order, after the PS Director."
    )
    applies_to = models.CharField(max_length=16, choices=AppliesTo.choices, default=AppliesTo.SOWS)
    # Conditions: a blank one is not asked.
    min_price = models.DecimalField(
        "price above",
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="In the corporate currency (a change request: its price change).",
    )
    margin_below_target = models.BooleanField(default=False, help_text="Margin below the category's target.")
    margin_below_floor = models.BooleanField(
        default=False,
        help_text="Margin below the category's floor: this rule's step is the floor's approver.",
    )
    min_discount_percent = models.DecimalField(
        "discount share at least (percent)",
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text="The estimate's discount as a share of its price before the discount.",
    )
    pricing_type = models.CharField(max_length=16, choices=PricingType.choices, blank=True)
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    category = models.CharField(
        "offering category", max_length=20, choices=OfferingCategory.choices, blank=True
    )
    non_standard_terms = models.BooleanField(default=False, help_text="The EM marked non-standard terms.")
    # The step it adds.
    approver_role = models.ForeignKey(
        ApproverRole, null=True, blank=True, on_delete=models.PROTECT, related_name="rules"
    )
    approver_person = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="named approver",
    )
    region_scoped = models.BooleanField(
        default=False, help_text="Only the role's members for the SOW's region approve this step."
    )
    service_level_hours = models.DecimalField(
        "service level (working hours)",
        max_digits=6,
        decimal_places=2,
        default=Decimal("16"),
        validators=[MinValueValidator(Decimal("0.25"))],
    )
    reminder_hours = models.DecimalField(
        "remind this many working hours before due",
        max_digits=6,
        decimal_places=2,
        default=Decimal("4"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    escalation_role = models.ForeignKey(
        ApproverRole,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Told when the step is overdue; blank: the approver's manager.",
    )

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(approver_role__isnull=False, approver_person__isnull=True)
                    | models.Q(approver_role__isnull=True, approver_person__isnull=False)
                ),
                name="approvalrule_one_approver",
            )
        ]

    def __str__(self) -> str:
        return self.name


class ApprovalStep(models.Model):
    """One step of the ladder a submission of a SOW version (or a change request) was given. Steps
    are made when it is submitted and never recomputed: a new submission gets a new round."""

    class Status(models.TextChoices):
        PENDING = "pending", "Not reached yet"
        WAITING = "waiting", "Waiting"
        APPROVED = "approved", "Approved"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        CLOSED = "closed", "Not needed any more"

    sow_version = models.ForeignKey(
        SowVersion, null=True, blank=True, on_delete=models.CASCADE, related_name="approval_steps"
    )
    change_request = models.ForeignKey(
        "ChangeRequest", null=True, blank=True, on_delete=models.CASCADE, related_name="approval_steps"
    )
    round = models.PositiveIntegerField(default=1, help_text="Which submission this step belongs to.")
    position = models.PositiveIntegerField()
    label = models.CharField(max_length=200)
    reason = models.CharField(max_length=500, blank=True)
    rule = models.ForeignKey(ApprovalRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    approver_role = models.ForeignKey(
        ApproverRole, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approver_person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+", help_text="Region-scoped."
    )
    escalation_role = models.ForeignKey(
        ApproverRole, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_floor = models.BooleanField(default=False, help_text="This step approves a margin below the floor.")
    service_level_hours = models.DecimalField(max_digits=6, decimal_places=2)
    reminder_hours = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal("0"))
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    remind_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    on_behalf_of = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The approver a delegate decided for.",
    )
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["round", "position"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(sow_version__isnull=False, change_request__isnull=True)
                    | models.Q(sow_version__isnull=True, change_request__isnull=False)
                ),
                name="approvalstep_one_subject",
            ),
            models.UniqueConstraint(
                fields=["sow_version", "round", "position"],
                condition=models.Q(sow_version__isnull=False),
                name="approvalstep_version_round_position",
            ),
            models.UniqueConstraint(
                fields=["change_request", "round", "position"],
                condition=models.Q(change_request__isnull=False),
                name="approvalstep_cr_round_position",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="approvalstep_status_due_idx")]

    def __str__(self) -> str:
        return f"{self.position}. {self.label}"

    @property
    def title(self) -> str:
        """ "2. Finance (price > USD 250,000)"."""
        return f"{self.position}. {self.label}{f' ({self.reason})' if self.reason else ''}"


class Delegation(TimeStampedModel):
    """An approver away from `starts_on` to `ends_on` (inclusive): their steps go to the delegate."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="delegations")
    delegate = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="delegated_to_me")
    starts_on = models.DateField()
    ends_on = models.DateField()
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-starts_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="delegation_ends_after_start"
            ),
            models.CheckConstraint(
                condition=~models.Q(person=models.F("delegate")), name="delegation_not_to_oneself"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} → {self.delegate} ({self.starts_on:%Y-%m-%d} – {self.ends_on:%Y-%m-%d})"
