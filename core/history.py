"""History pages in the admin (django-simple-history) that viewers may read but never write through.

django-simple-history's "revert" page answers a POST after checking only *view* permission, and it
saves the whole historical row as it was (version counters and Salesforce-owned fields included),
past every rule the services hold. `HistoryAdmin` keeps the history readable and decides per model:

- `history_revert = False` (the default): the history form is shown read-only and a POST is refused.
  Models with rules of their own (opportunities, people, scoping issues, estimates…) stay so: they
  change only through their services.
- `history_revert = True`: for catalog models that the admin's change form edits directly. Reverting
  then needs change permission on that object and saves through the same `save_model` as the change
  form, so it is exactly an edit, with the same checks.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from simple_history.admin import SimpleHistoryAdmin

_READ_ONLY_FLAG = "_history_form_read_only"


class HistoryAdmin(SimpleHistoryAdmin):
    history_revert: bool = False

    def may_revert(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.history_revert and self.has_change_permission(request, obj)

    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self.may_revert(request, obj)

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        allowed = obj is not None and self.may_revert(request, obj)
        if request.method not in ("GET", "HEAD") and not allowed:
            raise PermissionDenied("Reverting this record is not allowed here.")
        # Read-only rendering: every field shown as text, so there is nothing to submit.
        setattr(request, _READ_ONLY_FLAG, not allowed)
        return cast(HttpResponse, super().history_form_view(request, object_id, version_id, extra_context))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = super().get_readonly_fields(request, obj)
        if getattr(request, _READ_ONLY_FLAG, False):
            names = [f.name for f in self.model._meta.concrete_fields if f.editable and not f.primary_key]
            names += [
                f.name for f in self.model._meta.many_to_many if f.remote_field.through._meta.auto_created
            ]
            return list(dict.fromkeys([*fields, *names]))
        return fields
