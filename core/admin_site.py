"""The project's admin site: Django's, with list filters that can never become a server error.

Django's admin turns some malformed filter values into a bare "Database error" page and lets others
through as a 500 (a date-hierarchy year of 9999 or 99999999999999999999, a year 0, a NUL byte in a
search on PostgreSQL). Every ModelAdmin registered here, the libraries' included, gets a change list
that answers such a query string with a clear message and the unfiltered list instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import FieldError, PermissionDenied, ValidationError
from django.db import DataError, models, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from core import actions

if TYPE_CHECKING:
    from django.contrib.admin.views.main import ChangeList

    # The mixins below sit in front of a ModelAdmin (PipelineAdminSite.register puts them there).
    _ModelAdminBase = admin.ModelAdmin[Any]
else:
    _ModelAdminBase = object

_ModelT = TypeVar("_ModelT", bound=models.Model)

BAD_FILTER_MESSAGE = (
    "That filter or search could not be applied (a value is out of range or not valid), "
    "so the list is shown without it."
)
_BAD_FILTER_ERRORS = (
    IncorrectLookupParameters,
    ValueError,
    OverflowError,
    DataError,
    ValidationError,
    FieldError,
)


class _BadFilter(Exception):
    pass


class SafeChangeListMixin(_ModelAdminBase):
    """Malformed list filters give a message and the plain list, never a 500 or a "database error";
    an action the user may not run is refused with 403."""

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList:
        if any("\x00" in value for values in request.GET.lists() for value in values[1]):
            raise _BadFilter
        try:
            # A savepoint: a value the database refuses must not abort the request's transaction.
            with transaction.atomic():
                return super().get_changelist_instance(request)
        except _BAD_FILTER_ERRORS as exc:
            raise _BadFilter from exc

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # Django answers an action the user may not run with "No action selected"; refuse it plainly.
        action = request.POST.get("action") if request.method == "POST" else None
        if action and action not in self.get_actions(request):
            raise PermissionDenied("You may not run that action here.")
        try:
            return super().changelist_view(request, extra_context)
        except _BadFilter:
            messages.error(request, BAD_FILTER_MESSAGE)
            return HttpResponseRedirect(request.path)


class ReadOnlyAdmin(admin.ModelAdmin[_ModelT]):
    """Records people read in the admin but never add, edit or delete there: what happened (call
    timelines, the Salesforce outbox and conflicts, sync runs, email failures) or what changes only
    through the app's own pages and services (scoping issues, estimates, TA reviews)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AuditedAdminMixin(_ModelAdminBase):
    """Saves and deletions made in the admin are written to the audit trail like any other change."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        previous = type(obj)._default_manager.filter(pk=obj.pk).first() if change and obj.pk else None
        before = actions.snapshot(previous) if previous is not None else None
        super().save_model(request, obj, form, change)
        changes = actions.diff(obj, before)
        if changes or not change:
            actions.record(
                actor=request.user,
                action="changed in the admin" if change else "added in the admin",
                obj=obj,
                changes=changes,
            )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        actions.record(actor=request.user, action="deleted in the admin", obj=obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            actions.record(actor=request.user, action="deleted in the admin", obj=obj)
        super().delete_queryset(request, queryset)


class PipelineAdminSite(admin.AdminSite):
    site_header = "PS Pipeline administration"
    site_title = "PS Pipeline admin"
    index_title = "Administration"
    # The admin index links to the System status page (config/views.py).
    index_template = "admin/index_with_status.html"

    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, SafeChangeListMixin):
            admin_class = type(
                admin_class.__name__, (SafeChangeListMixin, AuditedAdminMixin, admin_class), {}
            )
        super().register(model_or_iterable, admin_class, **options)
