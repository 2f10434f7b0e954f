from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from people.models import Person, PersonSkill, Region, Skill
from people.services import person_sync_login_groups


@admin.register(Region)
class RegionAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["name", "category"]
    search_fields = ["name", "category"]


class PersonSkillInline(admin.TabularInline):
    model = PersonSkill
    extra = 1
    autocomplete_fields = ["skill"]


@admin.register(Person)
class PersonAdmin(SimpleHistoryAdmin):
    list_display = ["name", "email", "role", "region", "manager", "active"]
    list_filter = ["role", "region", "active"]
    search_fields = ["name", "email", "salesforce_user_id"]
    list_select_related = ["region", "manager"]
    autocomplete_fields = ["user", "manager"]
    inlines = [PersonSkillInline]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        if change:
            # A directory edit based on the old version must now be refused (people.services.person_update).
            obj.version += 1
        super().save_model(request, obj, form, change)
        person_sync_login_groups(person=obj)
