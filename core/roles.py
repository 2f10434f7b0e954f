"""Roles are Django groups holding permissions. Code checks permissions, never group names.

`sync_role_groups` creates every group and sets exactly the permissions listed here; it runs
after every migrate and through `manage.py sync_roles`, and is safe to run any number of times.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db.models import TextChoices

logger = logging.getLogger(__name__)


class Role(TextChoices):
    ENGAGEMENT_MANAGER = "engagement_manager", "Engagement Manager"
    EM_MANAGER = "em_manager", "EM Manager"
    PS_DIRECTOR = "ps_director", "PS Director"
    LEADERSHIP = "leadership", "Leadership"
    PRACTICE_MANAGER = "practice_manager", "Practice Manager"
    TECHNICAL_ARCHITECT = "technical_architect", "Technical Architect"
    PS_OPERATIONS = "ps_operations", "PS Operations"
    PS_ENGINEER = "ps_engineer", "PS Engineer"
    PROJECT_MANAGER = "project_manager", "Project Manager"
    PARTNER_CONSULTANT = "partner_consultant", "Partner Consultant"


_VIEW_PIPELINE = ["engagements.view_opportunity", "engagements.view_account", "engagements.view_risk"]
_VIEW_ALL = ["engagements.view_all_opportunities", "people.view_person", "people.view_region"]
_VIEW_SCOPING = [
    "scoping.view_scopingissue",
    "scoping.view_estimate",
    "scoping.view_serviceoffering",
    "scoping.view_deliveryrole",
]
_EDIT_SCOPING = [
    "scoping.add_scopingissue",
    "scoping.change_scopingissue",
    "scoping.add_estimate",
    "scoping.change_estimate",
]
_VIEW_SOW = [
    "sow.view_sow",
    "sow.view_sowversion",
    "staffing.view_staffingrequirement",
    "staffing.view_assignment",
]
_EDIT_SOW = ["sow.add_sow", "sow.change_sow"]
_DIRECTORY = ["people.view_directory"]
_CATALOG = [
    "scoping.add_serviceoffering",
    "scoping.change_serviceoffering",
    "scoping.delete_serviceoffering",
    "scoping.add_offeringactivity",
    "scoping.change_offeringactivity",
    "scoping.delete_offeringactivity",
    "scoping.view_offeringactivity",
    "scoping.add_deliveryrole",
    "scoping.change_deliveryrole",
    "scoping.delete_deliveryrole",
]
_EM = [
    *_VIEW_PIPELINE,
    "engagements.change_em_fields",
    "engagements.add_risk",
    "engagements.change_risk",
    "people.view_person",
    "people.view_region",
    *_VIEW_SCOPING,
    *_EDIT_SCOPING,
    *_VIEW_SOW,
    *_EDIT_SOW,
    "calls.add_forecastcall",  # the weekly forecast call (their own; a manager's is the team call)
]

# Group name -> permission codenames ("app_label.codename").
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.ENGAGEMENT_MANAGER.label: _EM,
    Role.EM_MANAGER.label: [
        *_EM,
        "engagements.manage_em_team",
        *_DIRECTORY,
        "forecasting.view_dashboard",
        "forecasting.view_capacity",
    ],
    Role.PS_DIRECTOR.label: [
        *_VIEW_PIPELINE,
        *_VIEW_ALL,
        *_VIEW_SCOPING,
        *_VIEW_SOW,
        *_DIRECTORY,
        "forecasting.view_dashboard",
        "forecasting.view_capacity",
        "forecasting.view_bookingsplan",
        "forecasting.add_bookingsplan",
        "forecasting.change_bookingsplan",
        "forecasting.delete_bookingsplan",
        "forecasting.view_exchangerate",
        "forecasting.add_exchangerate",
        "forecasting.change_exchangerate",
        "forecasting.view_forecastsnapshot",
        "calls.add_forecastcall",
        "sow.approve_sow",
        "sow.view_sowtemplate",
        "sow.change_sowtemplate",
        "sow.view_margintarget",
        "sow.add_margintarget",
        "sow.change_margintarget",
    ],
    Role.LEADERSHIP.label: [
        *_VIEW_PIPELINE,
        *_VIEW_ALL,
        *_VIEW_SCOPING,
        *_VIEW_SOW,
        *_DIRECTORY,
        "forecasting.view_dashboard",
        "forecasting.view_capacity",
        "calls.add_forecastcall",
        "core.view_auditentry",  # leadership reads everything, the audit trail included
    ],
    Role.PRACTICE_MANAGER.label: [
        *_VIEW_PIPELINE,
        *_VIEW_ALL,
        *_VIEW_SCOPING,
        *_CATALOG,
        *_VIEW_SOW,
        "sow.view_sowtemplate",
        "sow.add_sowtemplate",
        "sow.change_sowtemplate",
    ],
    Role.TECHNICAL_ARCHITECT.label: [
        *_VIEW_PIPELINE,
        *_VIEW_ALL,
        *_VIEW_SCOPING,
        *_VIEW_SOW,
        "scoping.review_scopingissue",
    ],
    Role.PS_OPERATIONS.label: [
        *_VIEW_PIPELINE,
        *_VIEW_ALL,
        *_VIEW_SCOPING,
        *_VIEW_SOW,
        "people.add_person",
        "people.change_person",
        "forecasting.view_capacity",
        *_DIRECTORY,
        "people.view_skill",
        "people.add_skill",
        "people.change_skill",
        "people.view_personskill",
        "people.add_personskill",
        "people.change_personskill",
        "people.delete_personskill",
        "staffing.manage_staffing",
    ],
}

# Roles whose work happens partly in the Django admin (catalog, approval queue, people).
ADMIN_SITE_ROLES = frozenset({Role.PRACTICE_MANAGER, Role.PS_DIRECTOR, Role.PS_OPERATIONS})

# Which group a Person's role puts their login in (roles without a group get no app permissions).
ROLE_GROUP: dict[str, str] = {role.value: role.label for role in Role if role.label in ROLE_PERMISSIONS}


def sync_role_groups() -> dict[str, int]:
    """Create the role groups and give each exactly its listed permissions. Returns counts."""
    from django.contrib.auth.models import Group, Permission

    wanted = {perm for perms in ROLE_PERMISSIONS.values() for perm in perms}
    by_key = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.select_related("content_type")
    }
    missing = sorted(wanted - by_key.keys())
    if missing:
        logger.warning("Role permissions not found (app not migrated yet?): %s", ", ".join(missing))
    counts = {}
    for name, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set([by_key[p] for p in perms if p in by_key])
        counts[name] = len([p for p in perms if p in by_key])
    return counts


def sync_role_groups_after_migrate(sender: Any, **kwargs: Any) -> None:
    # post_migrate is sent once per app that has models, in INSTALLED_APPS order, each time after
    # that app's permissions were created; acting on the last one means every permission exists.
    from django.apps import apps

    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    if with_models and sender is with_models[-1]:
        sync_role_groups()
