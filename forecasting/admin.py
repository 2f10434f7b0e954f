from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from core.jobs import recent_jobs, status_of
from forecasting import access, pushes
from forecasting.forms import PlanImportForm
from forecasting.models import BookingsPlan, ExchangeRate, ForecastSnapshot
from forecasting.services import SNAPSHOT_JOB_KIND, plan_import, snapshot_take_request, week_of


@admin.register(BookingsPlan)
class BookingsPlanAdmin(admin.ModelAdmin[BookingsPlan]):
    list_display = ["quarter", "region", "engagement_manager", "amount", "currency"]
    list_filter = ["quarter", "region"]
    list_select_related = ["region", "engagement_manager"]
    autocomplete_fields = ["engagement_manager"]
    change_list_template = "admin/forecasting/bookingsplan/change_list.html"

    def get_urls(self) -> list[Any]:
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="forecasting_bookingsplan_import",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        extra_context = {**(extra_context or {}), "can_import_plans": access.can_import_plans(request.user)}
        return super().changelist_view(request, extra_context)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        access.can_import_plans.require(request.user)
        form = PlanImportForm(request.POST or None, request.FILES or None)
        errors: list[str] = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > 2 * 1024 * 1024:
                errors = ["The file is larger than 2 MB."]
            else:
                try:
                    result = plan_import(actor=request.user, data=upload.read())  # type: ignore[arg-type]  # admin pages let in only staff logins
                except ValidationError as exc:
                    errors = exc.messages
                else:
                    unchanged = f", {result.unchanged} unchanged" if result.unchanged else ""
                    self.message_user(
                        request,
                        f"Plans imported: {result.created} created, {result.updated} updated{unchanged}.",
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(reverse("admin:forecasting_bookingsplan_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Import bookings plans",
            "form": form,
            "errors": errors,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/forecasting/bookingsplan/import.html", context)


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin[ExchangeRate]):
    list_display = ["currency", "rate", "effective_date"]
    list_filter = ["currency"]
    date_hierarchy = "effective_date"


@admin.register(ForecastSnapshot)
class ForecastSnapshotAdmin(admin.ModelAdmin[ForecastSnapshot]):
    list_display = ["week", "taken_at", "rows_count", "replaced_at", "replaced_by"]
    readonly_fields = [
        "week",
        "taken_at",
        "rows_count",
        "closed_from",
        "closed_to",
        "rates",
        "replaced_at",
        "replaced_by",
    ]
    change_list_template = "admin/forecasting/forecastsnapshot/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: ForecastSnapshot) -> None:
        week = obj.week
        super().delete_model(request, obj)
        pushes.mark_following(week)  # the next week's rows were compared with the rows deleted

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ForecastSnapshot]) -> None:
        super().delete_queryset(request, queryset)
        pushes.mark_all()

    def get_urls(self) -> list[Any]:
        return [
            path(
                "take/", self.admin_site.admin_view(self.take_view), name="forecasting_forecastsnapshot_take"
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        extra_context = {
            **(extra_context or {}),
            "can_take_snapshot": access.can_take_snapshot(request.user),
            "snapshot_jobs": [
                status_of(job, poll_url=reverse("job_status", args=[job.pk]))
                for job in recent_jobs(kind=SNAPSHOT_JOB_KIND, user=request.user)
            ],
        }
        return super().changelist_view(request, extra_context)

    def take_view(self, request: HttpRequest) -> HttpResponse:
        access.can_take_snapshot.require(request.user)
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:forecasting_forecastsnapshot_changelist"))
        existing = ForecastSnapshot.objects.filter(week=week_of()).first()
        if existing is not None and request.POST.get("confirm") != "replace":
            # Taking it again replaces the week's rows and rates: say so and ask first.
            context = {
                **self.admin_site.each_context(request),
                "title": "Replace this week's snapshot?",
                "snapshot": existing,
                "opts": self.model._meta,
            }
            return TemplateResponse(
                request, "admin/forecasting/forecastsnapshot/confirm_replace.html", context
            )
        try:
            snapshot_take_request(actor=request.user, replace=existing is not None)  # type: ignore[arg-type]  # admin pages let in only staff logins
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
        else:
            self.message_user(request, "Snapshot queued: its progress shows below.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:forecasting_forecastsnapshot_changelist"))
