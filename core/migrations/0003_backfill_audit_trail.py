"""Fill the audit trail with what happened before it existed: every historical row the apps kept
(django-simple-history) becomes an entry with its changes in words, and every SOW approval decision,
TA review and resolved sync conflict an entry of its own. Runs once, on upgrade; new installs have
nothing to fill. It reads other apps' tables by name through the migration state, never their code."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import migrations
from django.urls import NoReverseMatch, reverse

# (app label, model) -> how to name a row and link to it, from the row's own columns.
_SKIP = {"id", "version", "created_at", "updated_at"}
_HISTORY_COLUMNS = {"history_id", "history_date", "history_change_reason", "history_type", "history_user"}
_ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
_BATCH = 2000


def _url(name, *args):
    try:
        return reverse(name, args=list(args))
    except NoReverseMatch:
        return ""


class _Names:
    """Labels of related rows, looked up once each."""

    def __init__(self, apps):
        self.apps = apps
        self.cache = {}

    def of(self, model, pk):
        if pk is None:
            return "—"
        key = (model._meta.label_lower, pk)
        if key not in self.cache:
            row = model._default_manager.filter(pk=pk).first()
            self.cache[key] = _plain_label(model, row) if row is not None else f"#{pk}"
        return self.cache[key]


def _plain_label(model, row):
    for name in ("name", "title", "code", "description", "subject"):
        if hasattr(row, name) and getattr(row, name):
            return str(getattr(row, name))[:200]
    if model._meta.label_lower == "sow.sow":
        return f"SOW-{row.pk:05d}"
    return f"{model._meta.verbose_name} #{row.pk}"


def _in_words(field, value, names):
    if value in (None, ""):
        return "—"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field.is_relation and field.related_model is not None:
        return names.of(field.related_model, value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:,.2f}" if value == value.quantize(Decimal("0.01")) else f"{value:,}"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "—"
    text = str(value)
    return text if len(text) <= 200 else text[:197] + "…"


def _sources(apps, names):
    """(model, label(row), url(row)) for each model whose history becomes audit entries."""
    get = apps.get_model
    issue = get("scoping", "ScopingIssue")
    requirement = get("staffing", "StaffingRequirement")
    person = get("people", "Person")
    return [
        (get("engagements", "Opportunity"), lambda r: r.name, lambda r: _url("engagements:detail", r.id)),
        (
            get("engagements", "Account"),
            lambda r: r.name,
            lambda r: _url("admin:engagements_account_change", r.id),
        ),
        (
            get("engagements", "Risk"),
            lambda r: f"Risk: {r.description[:80]}",
            lambda r: _url("engagements:detail", r.opportunity_id),
        ),
        (person, lambda r: r.name, lambda r: _url("people:detail", r.id)),
        (get("people", "Region"), lambda r: r.code, lambda r: _url("admin:people_region_change", r.id)),
        (issue, lambda r: r.title, lambda r: _url("scoping:detail", r.id)),
        (
            get("scoping", "Estimate"),
            lambda r: f"{names.of(issue, r.scoping_issue_id)} v{r.number}",
            lambda r: _url("scoping:estimate", r.id),
        ),
        (
            get("scoping", "DeliveryRole"),
            lambda r: f"{r.name} ({r.currency})",
            lambda r: _url("admin:scoping_deliveryrole_change", r.id),
        ),
        (
            get("scoping", "ServiceOffering"),
            lambda r: f"{r.code} — {r.name}",
            lambda r: _url("admin:scoping_serviceoffering_change", r.id),
        ),
        (
            get("sow", "SowVersion"),
            lambda r: f"SOW-{r.sow_id:05d} v{r.number}",
            lambda r: _url("sow:version", r.id),
        ),
        (
            get("sow", "SowTemplate"),
            lambda r: f"SOW template: {r.category}",
            lambda r: _url("admin:sow_sowtemplate_change", r.id),
        ),
        (
            requirement,
            lambda r: f"{r.delivery_role} — {r.title}" if r.title else r.delivery_role,
            lambda r: _url("staffing:requirement", r.id),
        ),
        (
            get("staffing", "Assignment"),
            lambda r: f"{names.of(person, r.person_id)} on {names.of(requirement, r.requirement_id)}",
            lambda r: _url("staffing:requirement", r.requirement_id),
        ),
    ]


def backfill(apps, schema_editor):
    AuditEntry = apps.get_model("core", "AuditEntry")
    ContentType = apps.get_model("contenttypes", "ContentType")
    if AuditEntry.objects.exists():
        return
    names = _Names(apps)
    sources = _sources(apps, names)
    pending = []

    def flush(force=False):
        if pending and (force or len(pending) >= _BATCH):
            AuditEntry.objects.bulk_create(pending)
            pending.clear()

    for model, label, url in sources:
        meta = model._meta
        content_type, _ = ContentType.objects.get_or_create(app_label=meta.app_label, model=meta.model_name)
        history = apps.get_model(meta.app_label, f"Historical{model.__name__}")
        fields = [
            f
            for f in history._meta.concrete_fields
            if f.attname not in _SKIP and f.name not in _HISTORY_COLUMNS and f.attname != "history_user_id"
        ]
        previous = {}
        for row in history.objects.order_by("id", "history_date", "history_id").iterator(chunk_size=_BATCH):
            before = previous.get(row.id)
            changes = []
            if row.history_type == "~" and before is not None:
                for f in fields:
                    old, new = getattr(before, f.attname), getattr(row, f.attname)
                    if old != new:
                        changes.append(
                            {
                                "field": str(f.verbose_name),
                                "before": _in_words(f, old, names),
                                "after": _in_words(f, new, names),
                            }
                        )
                if not changes:
                    previous[row.id] = row
                    continue
            previous[row.id] = row
            pending.append(
                AuditEntry(
                    at=row.history_date,
                    actor_id=row.history_user_id,
                    action=_ACTIONS.get(row.history_type, "changed"),
                    content_type=content_type,
                    object_id=str(row.id),
                    object_label=str(label(row))[:300],
                    object_url=url(row)[:300],
                    changes=changes,
                    note=row.history_change_reason or "",
                )
            )
            flush()
    flush(force=True)
    _events(apps, names, pending)
    flush(force=True)


def _events(apps, names, pending):
    """Decisions that were rows of their own, not history: approvals, TA reviews, conflict resolutions."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    AuditEntry = apps.get_model("core", "AuditEntry")

    def content_type(app_label, model):
        return ContentType.objects.get_or_create(app_label=app_label, model=model)[0]

    version_type = content_type("sow", "sowversion")
    decisions = {"approved": "approved", "changes_requested": "requested changes"}
    for approval in apps.get_model("sow", "Approval").objects.select_related("sow_version").iterator():
        version = approval.sow_version
        pending.append(
            AuditEntry(
                at=approval.at,
                actor_id=approval.actor_id,
                action=decisions.get(approval.decision, approval.decision),
                content_type=version_type,
                object_id=str(version.pk),
                object_label=f"SOW-{version.sow_id:05d} v{version.number}",
                object_url=_url("sow:version", version.pk),
                note=approval.comment or "",
            )
        )
    issue_type = content_type("scoping", "scopingissue")
    reviews = {
        "approved": "approved the estimate (TA review)",
        "sent_back": "sent the estimate back (TA review)",
        "assistance_requested": "asked a TA for help",
        "assisted": "marked TA help given",
    }
    for review in apps.get_model("scoping", "TaReview").objects.select_related("scoping_issue").iterator():
        pending.append(
            AuditEntry(
                at=review.at,
                actor_id=review.actor_id,
                action=reviews.get(review.decision, f"TA review: {review.decision}"),
                content_type=issue_type,
                object_id=str(review.scoping_issue_id),
                object_label=review.scoping_issue.title[:300],
                object_url=_url("scoping:detail", review.scoping_issue_id),
                note=review.comment or "",
            )
        )
    opportunity_type = content_type("engagements", "opportunity")
    Conflict = apps.get_model("salesforce", "SyncConflict")
    for conflict in Conflict.objects.filter(status="resolved").select_related("opportunity").iterator():
        took = conflict.resolution == "take_salesforce"
        pending.append(
            AuditEntry(
                at=conflict.resolved_at or conflict.detected_at,
                actor_id=conflict.resolved_by_id,
                action=(
                    f"took Salesforce's {conflict.field} in a sync conflict"
                    if took
                    else f"kept the PS Pipeline {conflict.field} in a sync conflict"
                ),
                content_type=opportunity_type,
                object_id=str(conflict.opportunity_id),
                object_label=conflict.opportunity.name[:300],
                object_url=_url("engagements:detail", conflict.opportunity_id),
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_auditentry"),
        ("engagements", "0003_move_sync_models_to_salesforce"),
        ("people", "0002_person_directory"),
        ("scoping", "0001_initial"),
        ("sow", "0004_remove_staffing_models_from_state"),
        ("staffing", "0002_content_types_from_sow"),
        ("salesforce", "0003_rename_sync_task"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
