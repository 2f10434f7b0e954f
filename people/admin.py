from typing import Any

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.http import HttpRequest

from core.history import HistoryAdmin
from people import access
from people.models import Person, PersonSkill, Region, Skill
from people.services import person_sync_login_groups


@admin.register(Region)
class RegionAdmin(HistoryAdmin):
    history_revert = True  # plain reference data: a revert is an edit through the change form
    list_display = ["code", "name", "blended_bill_rate"]
    search_fields = ["code", "name"]


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin[Skill]):
    list_display = ["name", "category"]
    search_fields = ["name", "category"]


class PersonSkillInline(admin.TabularInline[PersonSkill, Person]):
    model = PersonSkill
    extra = 1
    autocomplete_fields = ["skill"]


class PersonAdminForm(forms.ModelForm[Person]):
    """Refuses linking a login that is the editor's own (which would change their own permissions)."""

    request: HttpRequest | None = None

    class Meta:
        model = Person
        fields = "__all__"  # noqa: DJ007 - the ModelAdmin chooses the fields it shows

    def clean_user(self) -> Any:
        user = self.cleaned_data.get("user")
        actor = self.request.user if self.request is not None else None
        if user is not None and actor is not None and user.pk == actor.pk:
            raise forms.ValidationError(access.OWN_PRIVILEGES, code="own_privileges")
        return user


@admin.register(Person)
class PersonAdmin(HistoryAdmin):
    """Role and login link change only by an administrator (people.access), never one's own; the
    history is read-only because directory edits carry rules (people.services.person_update)."""

    form = PersonAdminForm
    fields = [
        "user",
        "name",
        "email",
        "role",
        "region",
        "manager",
        "languages",
        "time_zone",
        "cost_rate",
        "cost_currency",
        "weekly_capacity_hours",
        "utilization_target",
        "active",
        "salesforce_user_id",
    ]
    list_display = ["name", "email", "role", "region", "manager", "active"]
    list_filter = ["role", "region", "active"]
    search_fields = ["name", "email", "salesforce_user_id"]
    list_select_related = ["region", "manager"]
    autocomplete_fields = ["user", "manager"]
    inlines = [PersonSkillInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and not access.can_change_role(request.user, obj):
            fields.append("role")
        if not access.can_link_login(request.user, obj):
            fields.append("user")
        return list(dict.fromkeys(fields))

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"request": request})

    def save_model(
        self, request: HttpRequest, obj: Person, form: forms.ModelForm[Person], change: bool
    ) -> None:
        # The fields above are read-only for those who may not change them; this holds the rule for
        # any other way a changed role or login could arrive.
        before = Person.objects.filter(pk=obj.pk).values("role", "user_id").first() if change else None
        if before is not None:
            if before["role"] != obj.role:
                access.can_change_role.require(request.user, obj)
            if before["user_id"] != obj.user_id:
                access.can_link_login.require(request.user, obj)
        elif obj.user_id is not None:
            access.can_link_login.require(request.user, obj)
        if change:
            # A directory edit based on the old version must now be refused (people.services.person_update).
            obj.version += 1
        super().save_model(request, obj, form, change)
        person_sync_login_groups(person=obj)


# --- Logins -------------------------------------------------------------------------------------------
# A login's groups, permissions and staff/superuser/active flags grant permissions: only another
# administrator changes them (people.access.can_change_privileges), never the login's own user.


class PipelineUserAdmin(UserAdmin[User]):
    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if not access.can_change_privileges(request.user, obj):
            fields += [name for name in access.PRIVILEGE_FIELDS if name not in fields]
        return fields

    def save_model(self, request: HttpRequest, obj: User, form: forms.ModelForm[User], change: bool) -> None:
        if change and not access.can_change_privileges(request.user, obj):
            before = User.objects.filter(pk=obj.pk).values(*access.PRIVILEGE_FIELDS[:3]).first() or {}
            if any(before.get(name) != getattr(obj, name) for name in access.PRIVILEGE_FIELDS[:3]):
                access.can_change_privileges.require(request.user, obj)
        super().save_model(request, obj, form, change)

    def save_related(
        self, request: HttpRequest, form: forms.ModelForm[User], formsets: Any, change: bool
    ) -> None:
        if not access.can_change_privileges(request.user, form.instance):
            # groups / user_permissions are read-only here, so the form holds none; nothing to save.
            form.cleaned_data.pop("groups", None)
            form.cleaned_data.pop("user_permissions", None)
        super().save_related(request, form, formsets, change)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.pk == request.user.pk:
            return False
        return super().has_delete_permission(request, obj)


class PipelineGroupAdmin(GroupAdmin):
    """Groups hold permissions: administrators only (role groups are set by core.roles on migrate)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)


admin.site.unregister(User)
admin.site.register(User, PipelineUserAdmin)
admin.site.unregister(Group)
admin.site.register(Group, PipelineGroupAdmin)


class _NoEditing:
    """Login records are evidence: read and deleted (to lift a lockout), never edited."""

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PipelineAccessAttemptAdmin(_NoEditing, AccessAttemptAdmin):
    @admin.action(description="Clean up expired attempts")
    def cleanup_expired_attempts(self, request: HttpRequest, queryset: Any) -> None:
        # django-axes reads the attempt time it sets while authenticating; outside a login there is
        # none, and its own action would fail. Expired means older than the cool-off from now.
        request.axes_attempt_time = None  # type: ignore[attr-defined]  # django-axes sets it at login
        super().cleanup_expired_attempts(request, queryset)  # type: ignore[no-untyped-call]  # django-axes is unannotated


class PipelineAccessLogAdmin(_NoEditing, AccessLogAdmin):
    pass


class PipelineAccessFailureLogAdmin(_NoEditing, AccessFailureLogAdmin):
    pass


for _model, _admin_class in (
    (AccessAttempt, PipelineAccessAttemptAdmin),
    (AccessLog, PipelineAccessLogAdmin),
    (AccessFailureLog, PipelineAccessFailureLogAdmin),
):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
        admin.site.register(_model, _admin_class)
