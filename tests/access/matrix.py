"""Who may use every URL of the app. A URL the resolver knows but this file does not declare fails
the access test, so a new view cannot ship without someone deciding who may use it.

A = allowed (the page or action answers: 200, a redirect that is not to a login page, a 400 with
field errors…); F = forbidden (403, or 404 for an object the user may not see); L = redirected to
a login page; ANY = any answer but a server error.
"""

from __future__ import annotations

from typing import TypedDict

A, F, L, ANY = "allowed", "forbidden", "login", "any"
LOGGED_IN = [
    "em",
    "em_manager",
    "ps_director",
    "leadership",
    "practice_manager",
    "ta",
    "ps_operations",
    "admin",
]


def rule(*allowed: str, anonymous: str = L, others: str = F) -> dict[str, str]:
    """`allowed` roles get A, anonymous gets L, every other role F ("all" = every logged-in role)."""
    roles = LOGGED_IN if "all" in allowed else allowed
    return {"anonymous": anonymous, **{role: (A if role in roles else others) for role in LOGGED_IN}}


EM_SIDE = ("em", "em_manager", "admin")  # the opportunity's EM, their manager, an administrator
DASHBOARD = ("em_manager", "ps_director", "leadership", "admin")
STAFFING = ("ps_operations", "admin")

# url name -> (method, {role: expectation})
APP: dict[str, tuple[str, dict[str, str]]] = {
    "home": ("GET", rule("all")),
    "login": ("GET", rule("all", anonymous=A)),
    "health": ("GET", rule("all", anonymous=A)),  # for load balancers and docker-compose: no login
    "logout": ("POST", dict.fromkeys(["anonymous", *LOGGED_IN], L)),
    "password_change": ("GET", rule("all")),
    "audit": ("GET", rule("leadership", "admin")),
    "password_change_done": ("GET", rule("all")),
    # notifications: everyone has their own; another user's is not found
    "notifications:list": ("GET", rule("all")),
    "notifications:preferences": ("GET", rule("all")),
    "notifications:read_all": ("POST", rule("all")),
    "notifications:open": ("POST", rule("em")),  # the world's notification is the EM's
    "notifications:read": ("POST", rule("em")),
    # engagements
    "engagements:pipeline": ("GET", rule("all")),
    "engagements:workload": ("GET", rule("em_manager", "admin")),
    "engagements:detail": ("GET", rule("all")),
    "engagements:em_fields": ("GET", rule(*EM_SIDE)),
    "engagements:confirm": ("POST", rule(*EM_SIDE)),
    "engagements:assign": ("POST", rule("em_manager", "admin")),
    "engagements:risk_add": ("POST", rule(*EM_SIDE)),
    "engagements:risk_edit": ("GET", rule(*EM_SIDE)),
    "engagements:risk_close": ("POST", rule(*EM_SIDE)),
    # the pipeline list's tools: CSV of the filtered list, bulk actions, each user's own saved
    # filters and column choice (another user's saved filter is not found)
    "engagements:pipeline_export": ("GET", rule("all")),
    "engagements:pipeline_bulk": ("POST", rule(*EM_SIDE)),
    "engagements:pipeline_columns": ("POST", rule("all")),
    "engagements:saved_filter_save": ("POST", rule("all")),
    "engagements:saved_filter_delete": ("POST", rule("em")),
    # salesforce
    "salesforce:conflict_resolve": ("POST", rule(*EM_SIDE)),
    "salesforce:sync_now": ("POST", rule("admin")),
    "salesforce:org_check": ("POST", rule("admin")),
    # people
    "people:list": ("GET", rule("em_manager", "ps_director", "leadership", "ps_operations", "admin")),
    "people:detail": ("GET", rule("em_manager", "ps_director", "leadership", "ps_operations", "admin")),
    "people:edit": ("GET", rule("ps_operations", "admin")),
    # scoping
    "scoping:list": ("GET", rule("all")),
    "scoping:board": ("GET", rule("all")),
    "scoping:ta_queue": ("GET", rule("ta", "admin")),
    "scoping:create": ("GET", rule(*EM_SIDE)),
    "scoping:detail": ("GET", rule("all")),
    "scoping:edit": ("GET", rule(*EM_SIDE)),
    "scoping:move": ("POST", rule(*EM_SIDE)),
    "scoping:request_assistance": ("POST", rule(*EM_SIDE)),
    "scoping:ta_decide": ("POST", rule("ta", "admin")),
    "scoping:estimate_create": ("POST", rule(*EM_SIDE)),
    "scoping:estimate": ("GET", rule("all")),
    "scoping:estimate_save": ("POST", rule(*EM_SIDE)),
    "scoping:estimate_preview": ("POST", rule(*EM_SIDE)),
    "scoping:estimate_add_offering": ("POST", rule(*EM_SIDE)),
    "scoping:estimate_add_line": ("POST", rule(*EM_SIDE)),
    "scoping:estimate_delete_line": ("POST", rule(*EM_SIDE)),
    "scoping:estimate_revise": ("POST", rule(*EM_SIDE)),
    "scoping:estimate_share": ("POST", rule(*EM_SIDE)),
    "scoping:estimate_agree": ("POST", rule(*EM_SIDE)),
    "scoping:estimate_diff": ("GET", rule("all")),
    "scoping:estimate_export": ("GET", rule("all")),
    # sow
    "sow:list": ("GET", rule("all")),
    "sow:create": ("POST", rule(*EM_SIDE)),
    "sow:detail": ("GET", rule("all")),
    "sow:version": ("GET", rule("all")),
    "sow:edit": ("GET", rule(*EM_SIDE)),
    "sow:cost_add": ("POST", rule(*EM_SIDE)),
    "sow:cost_update": ("POST", rule(*EM_SIDE)),
    "sow:request_pdf": ("POST", rule("all")),
    "sow:download_pdf": ("GET", rule("all")),
    # background jobs: the SOW's PDF panel polls for whoever reads the SOW; a job (the world's is an
    # administrator's Sync now) for its requester and holders of its permission
    "sow:pdf_status": ("GET", rule("all")),
    "job_status": ("GET", rule("admin")),
    "sow:download_signed": ("GET", rule("all")),
    "sow:diff": ("GET", rule("all")),
    "sow:transition": ("POST", rule(*EM_SIDE)),
    # change requests on signed SOWs: read by whoever may read the SOW, drafted by the EM side
    "sow:cr_create": ("GET", rule(*EM_SIDE)),
    "sow:cr_detail": ("GET", rule("all")),
    "sow:cr_edit": ("GET", rule(*EM_SIDE)),
    "sow:cr_line_add": ("POST", rule(*EM_SIDE)),
    "sow:cr_line_delete": ("POST", rule(*EM_SIDE)),
    "sow:cr_from_estimate": ("POST", rule(*EM_SIDE)),
    "sow:cr_request_pdf": ("POST", rule("all")),
    "sow:cr_download_pdf": ("GET", rule("all")),
    "sow:cr_download_signed": ("GET", rule("all")),
    "sow:cr_transition": ("POST", rule(*EM_SIDE)),
    # the approval ladder: approvers delegate their steps while away (only their own delegations)
    "sow:delegations": ("GET", rule("ps_director", "admin")),
    "sow:delegation_end": ("POST", rule()),
    # staffing
    "staffing:list": ("GET", rule("all")),  # lists only the requirements the user may see
    "staffing:requirement_create": ("GET", rule("em", "em_manager", *STAFFING)),
    "staffing:requirement": ("GET", rule("all")),
    "staffing:requirement_edit": ("GET", rule("em", "em_manager", *STAFFING)),
    "staffing:requirement_delete": ("POST", rule("em", "em_manager", *STAFFING)),
    "staffing:assignment_add": ("POST", rule("em", "em_manager", *STAFFING)),
    "staffing:assignment_confirm": ("POST", rule(*STAFFING)),
    "staffing:assignment_cancel": ("POST", rule("em", "em_manager", *STAFFING)),
    # forecasting
    "forecasting:dashboard": ("GET", rule(*DASHBOARD)),
    # the JSON API (tests/api/test_access.py also checks each route with tokens, and the writes)
    "api:openapi-json": ("GET", rule("all", anonymous=A)),
    "api:openapi-view": ("GET", rule("all", anonymous=A)),
    "api:not_found": ("GET", dict.fromkeys(["anonymous", *LOGGED_IN], F)),
    "api:api-root": ("GET", dict.fromkeys(["anonymous", *LOGGED_IN], F)),
    "api:opportunity_list": ("GET", rule("all")),
    "api:opportunity_detail": ("GET", rule("all")),
    "api:opportunity_update": ("GET", rule("all")),  # the same route: GET reads, PATCH writes
    "api:opportunity_risks": ("GET", rule("all")),
    "api:sow_list": ("GET", rule("all")),
    "api:sow_version_detail": ("GET", rule("all")),
    "api:sow_transition": ("POST", rule(*EM_SIDE)),  # refused before If-Match for other roles
    "api:forecast": ("GET", rule(*DASHBOARD)),
    "api:snapshot_list": ("GET", rule(*DASHBOARD)),
    "api:tokens": ("GET", rule("all")),
    "api:token_revoke": ("POST", rule("em", "admin")),  # the token's owner, or an administrator
    "api:scoping_issue_list": ("GET", rule("all")),
    "api:scoping_issue_detail": ("GET", rule("all")),
    "api:estimate_detail": ("GET", rule("all")),
    "api:person_list": ("GET", rule("em_manager", "ps_director", "leadership", "ps_operations", "admin")),
    "api:person_detail": ("GET", rule("em_manager", "ps_director", "leadership", "ps_operations", "admin")),
    "api:capacity": ("GET", rule("em_manager", "ps_director", "leadership", "ps_operations", "admin")),
    "forecasting:drill": ("GET", rule(*DASHBOARD)),
    "forecasting:export": ("GET", rule(*DASHBOARD)),
    "forecasting:calibration": ("GET", rule(*DASHBOARD)),
    "forecasting:sow_mismatches": ("GET", rule(*DASHBOARD)),
    # deal hygiene, pacing and call accuracy: forecast readers
    "forecasting:hygiene": ("GET", rule(*DASHBOARD)),
    "forecasting:pacing": ("GET", rule(*DASHBOARD)),
    "calls:accuracy": ("GET", rule(*DASHBOARD)),
    "forecasting:capacity": (
        "GET",
        rule("em_manager", "ps_director", "leadership", "ps_operations", "admin"),
    ),
    # weekly forecast calls: everyone who forecasts makes their own; the team page is the manager's
    # own team or any team for forecast readers; the roll-up and its CSV are for forecast readers
    "calls:mine": ("GET", rule("em", "em_manager", "ps_director", "leadership", "admin")),
    "calls:team": ("GET", rule(*DASHBOARD)),
    "calls:org": ("GET", rule(*DASHBOARD)),
    "calls:export": ("GET", rule(*DASHBOARD)),
}

STAFF = ("ps_director", "practice_manager", "ps_operations", "admin")


def admin_rule(*allowed: str) -> dict[str, str]:
    """Admin pages: anonymous and non-staff roles go to the admin login; staff roles not allowed get 403."""
    return {role: (A if role in allowed else F if role in STAFF else L) for role in ["anonymous", *LOGGED_IN]}


# Admin pages that are not a model's own changelist / add / change / delete / history.
ADMIN: dict[str, tuple[str, dict[str, str]]] = {
    "admin:index": ("GET", admin_rule(*STAFF)),
    "admin_status": ("GET", admin_rule(*STAFF)),
    "admin:login": ("GET", rule("all", anonymous=A)),
    # Logging out is harmless for anyone; where it lands does not matter.
    "admin:logout": ("POST", dict.fromkeys(["anonymous", *LOGGED_IN], ANY)),
    "admin:password_change": ("GET", admin_rule(*STAFF)),
    "admin:password_change_done": ("GET", admin_rule(*STAFF)),
    "admin:jsi18n": ("GET", admin_rule(*STAFF)),
    "admin:view_on_site": ("GET", admin_rule(*STAFF)),
    "admin:app_list": ("GET", admin_rule(*STAFF)),
    # asked as the Person form's "manager" field does: staff who may view people
    "admin:autocomplete": ("GET", admin_rule("ps_director", "practice_manager", "ps_operations", "admin")),
    "admin:auth_user_password_change": ("GET", admin_rule("admin")),
    "admin:salesforce_syncrun_health": ("GET", admin_rule("admin")),
    "admin:sow_approvalqueueitem_review": ("GET", admin_rule("ps_director", "admin")),
    "admin:sow_approvalqueueitem_cr_review": ("GET", admin_rule("ps_director", "admin")),
    "admin:forecasting_bookingsplan_import": ("GET", admin_rule("ps_director", "admin")),
    "admin:forecasting_forecastsnapshot_take": ("POST", admin_rule("admin")),
}

# Which roles may open each registered model's admin pages. Non-staff roles are always sent to the
# admin login; staff roles not listed get 403. Read-only models list nobody under add / delete.
ADMIN_MODELS: dict[str, dict[str, tuple[str, ...]]] = {
    # Notifications and their emails: administrators read them (and send failed emails again).
    "notifications_notification": {
        "changelist": ("admin",),
        "add": (),
        "change": ("admin",),
        "delete": (),
        "history": ("admin",),
    },
    "notifications_emaildelivery": {
        "changelist": ("admin",),
        "add": (),
        "change": ("admin",),
        "delete": (),
        "history": ("admin",),
    },
    # Login lockouts: administrators see them and unlock by deleting the attempt.
    # Emails that could not be sent: administrators read them.
    "core_emailfailure": {
        "changelist": ("admin",),
        "add": (),
        "change": ("admin",),
        "delete": (),
        "history": ("admin",),
    },
    "axes_accessattempt": {
        "changelist": ("admin",),
        "add": (),
        "change": ("admin",),
        "delete": ("admin",),
        "history": ("admin",),
    },
    "axes_accesslog": {
        "changelist": ("admin",),
        "add": (),
        "change": ("admin",),
        "delete": ("admin",),
        "history": ("admin",),
    },
    "axes_accessfailurelog": {
        "changelist": ("admin",),
        "add": (),
        "change": ("admin",),
        "delete": ("admin",),
        "history": ("admin",),
    },
    "auth_group": {
        "changelist": ("admin",),
        "add": ("admin",),
        "change": ("admin",),
        "delete": ("admin",),
        "history": ("admin",),
    },
    "auth_user": {
        "changelist": ("admin",),
        "add": ("admin",),
        "change": ("admin",),
        "delete": ("admin",),
        "history": ("admin",),
    },
    "django_celery_beat_clockedschedule": {
        "changelist": ("admin",),
        "add": ("admin",),
        "change": ("admin",),
        "delete": ("admin",),
        "history": ("admin",),
    },
    "django_celery_beat_crontabschedule": {
        "changelist": ("admin",),
        "add": ("admin",),
        "change": ("admin",),
        "delete": ("admin",),
        "history": ("admin",),
    },
    "django_celery_beat_intervalschedule": {
        "changelist": ("admin",),
        "add": ("admin",),
        "change": ("admin",),
        "delete": ("admin",),
        "history": ("admin",),
    },
    "django_celery_beat_periodictask": {
        "changelist": ("admin",),
        "add": ("admin",),
        "change": ("admin",),
        "delete": ("admin",),
        "history": ("admin",),
    },
    "django_celery_beat_solarschedule": {
        "changelist": ("admin",),
        "add": ("admin",),
        "change": ("admin",),
        "delete": ("admin",),
        "history": ("admin",),
    },
    "engagements_account": {
        "changelist": ("ps_director", "practice_manager", "ps_operations", "admin"),
        "add": ("admin",),
        "change": ("ps_director", "practice_manager", "ps_operations", "admin"),
        "delete": ("admin",),
        "history": ("ps_director", "practice_manager", "ps_operations", "admin"),
    },
    "engagements_confidenceevent": {
        "changelist": ("admin",),
        "add": (),
        "change": ("admin",),
        "delete": (),
        "history": ("admin",),
    },
    "engagements_opportunity": {
        "changelist": ("ps_director", "practice_manager", "ps_operations", "admin"),
        "add": (),
        "change": ("ps_director", "practice_manager", "ps_operations", "admin"),
        "delete": ("admin",),
        "history": ("ps_director", "practice_manager", "ps_operations", "admin"),
    },
    "engagements_pendingpush": {
        "changelist": ("admin",),
        "add": (),
        "change": ("admin",),
        "delete": (),
        "history": ("admin",),
    },
    "forecasting_bookingsplan": {
        "changelist": ("ps_director", "admin"),
        "add": ("ps_director", "admin"),
        "change": ("ps_director", "admin"),
        "delete": ("ps_director", "admin"),
        "history": ("ps_director", "admin"),
    },
    "forecasting_exchangerate": {
        "changelist": ("ps_director", "admin"),
        "add": ("ps_director", "admin"),
        "change": ("ps_director", "admin"),
        "delete": ("admin",),
        "history": ("ps_director", "admin"),
    },
    "forecasting_forecastsnapshot": {
        "changelist": ("ps_director", "admin"),
        "add": (),
        "change": ("ps_director", "admin"),
        "delete": ("admin",),
        "history": ("ps_director", "admin"),
    },
    "people_person": {
        "changelist": ("ps_director", "practice_manager", "ps_operations", "admin"),
        "add": ("ps_operations", "admin"),
        "change": ("ps_director", "practice_manager", "ps_operations", "admin"),
        "delete": ("admin",),
        "history": ("ps_director", "practice_manager", "ps_operations", "admin"),
    },
    "people_region": {
        "changelist": ("ps_director", "practice_manager", "ps_operations", "admin"),
        "add": ("admin",),
        "change": ("ps_director", "practice_manager", "ps_operations", "admin"),
        "delete": ("admin",),
        "history": ("ps_director", "practice_manager", "ps_operations", "admin"),
    },
    "people_skill": {
        "changelist": ("ps_operations", "admin"),
        "add": ("ps_operations", "admin"),
        "change": ("ps_operations", "admin"),
        "delete": ("admin",),
        "history": ("ps_operations", "admin"),
    },
    "salesforce_syncconflict": {
        "changelist": ("admin",),
        "add": (),
        "change": ("admin",),
        "delete": (),
        "history": ("admin",),
    },
    "salesforce_synccursor": {
        "changelist": ("admin",),
        "add": (),
        "change": ("admin",),
        "delete": (),
        "history": ("admin",),
    },
    "salesforce_syncrun": {
        "changelist": ("admin",),
        "add": (),
        "change": ("admin",),
        "delete": (),
        "history": ("admin",),
    },
    "salesforce_sentvalue": {
        "changelist": ("admin",),
        "add": (),
        "change": ("admin",),
        "delete": (),
        "history": ("admin",),
    },
    "salesforce_salesforcechange": {
        "changelist": ("admin",),
        "add": (),
        "change": ("admin",),
        "delete": (),
        "history": ("admin",),
    },
    "scoping_deliveryrole": {
        "changelist": ("ps_director", "practice_manager", "ps_operations", "admin"),
        "add": ("practice_manager", "admin"),
        "change": ("ps_director", "practice_manager", "ps_operations", "admin"),
        "delete": ("practice_manager", "admin"),
        "history": ("ps_director", "practice_manager", "ps_operations", "admin"),
    },
    "scoping_estimate": {
        "changelist": ("ps_director", "practice_manager", "ps_operations", "admin"),
        "add": (),
        "change": ("ps_director", "practice_manager", "ps_operations", "admin"),
        "delete": (),
        "history": ("ps_director", "practice_manager", "ps_operations", "admin"),
    },
    "scoping_scopingissue": {
        "changelist": ("ps_director", "practice_manager", "ps_operations", "admin"),
        "add": (),
        "change": ("ps_director", "practice_manager", "ps_operations", "admin"),
        "delete": (),
        "history": ("ps_director", "practice_manager", "ps_operations", "admin"),
    },
    "scoping_serviceoffering": {
        "changelist": ("ps_director", "practice_manager", "ps_operations", "admin"),
        "add": ("practice_manager", "admin"),
        "change": ("ps_director", "practice_manager", "ps_operations", "admin"),
        "delete": ("practice_manager", "admin"),
        "history": ("ps_director", "practice_manager", "ps_operations", "admin"),
    },
    "scoping_tareview": {
        "changelist": ("admin",),
        "add": (),
        "change": ("admin",),
        "delete": (),
        "history": ("admin",),
    },
    "sow_approvalqueueitem": {
        "changelist": ("ps_director", "admin"),
        "add": (),
        "change": ("ps_director", "admin"),
        "delete": (),
        "history": ("ps_director", "admin"),
    },
    "sow_margintarget": {
        "changelist": ("ps_director", "admin"),
        "add": ("ps_director", "admin"),
        "change": ("ps_director", "admin"),
        "delete": ("admin",),
        "history": ("ps_director", "admin"),
    },
    "sow_sowtemplate": {
        "changelist": ("ps_director", "practice_manager", "admin"),
        "add": ("practice_manager", "admin"),
        "change": ("ps_director", "practice_manager", "admin"),
        "delete": ("admin",),
        "history": ("ps_director", "practice_manager", "admin"),
    },
    # Who contracts SOWs (legal entity, address, MSA): administrators only.
    "sow_supplierentity": {
        "changelist": ("admin",),
        "add": ("admin",),
        "change": ("admin",),
        "delete": ("admin",),
        "history": ("admin",),
    },
    # The approval ladder's rules, approver roles, working calendars and delegations: administrators.
    **{
        model: {
            "changelist": ("admin",),
            "add": ("admin",),
            "change": ("admin",),
            "delete": ("admin",),
            "history": ("admin",),
        }
        for model in ("sow_approvalrule", "sow_approverrole", "sow_workingcalendar", "sow_delegation")
    },
}


# --- Writes -------------------------------------------------------------------------------------------
# Who may POST to each URL that accepts a POST. A POST by anyone else must be refused (403, 404, 405 or
# a login redirect) and change nothing in the database; a URL not listed here must refuse every POST.
# "all" = every logged-in role; ANY_ANSWER = anyone, any answer but a server error (log in and out).
ANY_ANSWER = "any answer"

APP_WRITES: dict[str, tuple[str, ...] | str] = {
    "api:tokens": ("all",),  # creates a token for whoever is signed in
    "api:token_revoke": ("em", "admin"),
    "login": ANY_ANSWER,
    "logout": ANY_ANSWER,
    "password_change": ("all",),
    "notifications:preferences": ("all",),
    "notifications:read_all": ("all",),
    "notifications:open": ("em",),
    "notifications:read": ("em",),
    "engagements:em_fields": EM_SIDE,
    "engagements:confirm": EM_SIDE,
    "engagements:assign": ("em_manager", "admin"),
    "engagements:risk_add": EM_SIDE,
    "engagements:risk_edit": EM_SIDE,
    "engagements:risk_close": EM_SIDE,
    # the pipeline list's tools (each row of a bulk action is checked by its own rule)
    "engagements:pipeline_bulk": EM_SIDE,
    "engagements:pipeline_columns": ("all",),
    "engagements:saved_filter_save": ("all",),
    "engagements:saved_filter_delete": ("em",),  # the world's saved filter is the EM's
    # one's own weekly forecast call (an EM's, a manager's team call, the organisation's)
    "calls:mine": ("em", "em_manager", "ps_director", "leadership", "admin"),
    "salesforce:conflict_resolve": EM_SIDE,
    "salesforce:sync_now": ("admin",),
    "salesforce:org_check": ("admin",),
    "people:edit": ("ps_operations", "admin"),
    "scoping:create": EM_SIDE,
    "scoping:edit": EM_SIDE,
    "scoping:move": EM_SIDE,
    "scoping:request_assistance": EM_SIDE,
    "scoping:ta_decide": ("ta", "admin"),
    "scoping:estimate_create": EM_SIDE,
    "scoping:estimate_save": EM_SIDE,
    "scoping:estimate_preview": EM_SIDE,
    "scoping:estimate_add_offering": EM_SIDE,
    "scoping:estimate_add_line": EM_SIDE,
    "scoping:estimate_delete_line": EM_SIDE,
    "scoping:estimate_revise": EM_SIDE,
    "scoping:estimate_share": EM_SIDE,
    "scoping:estimate_agree": EM_SIDE,
    "sow:create": EM_SIDE,
    "sow:edit": EM_SIDE,
    "sow:cost_add": EM_SIDE,
    "sow:cost_update": EM_SIDE,
    "sow:transition": EM_SIDE,
    "sow:request_pdf": ("all",),  # asks for a PDF of a version the user may read
    "sow:cr_create": EM_SIDE,
    "sow:cr_edit": EM_SIDE,
    "sow:cr_line_add": EM_SIDE,
    "sow:cr_line_delete": EM_SIDE,
    "sow:cr_from_estimate": EM_SIDE,
    "sow:cr_transition": EM_SIDE,
    "sow:cr_request_pdf": ("all",),  # asks for a PDF of a change request the user may read
    "sow:delegations": ("ps_director", "admin"),  # one's own delegation
    "sow:delegation_end": (),  # the world holds nobody's delegation
    "staffing:requirement_create": ("em", "em_manager", *STAFFING),
    "staffing:requirement_edit": ("em", "em_manager", *STAFFING),
    "staffing:requirement_delete": ("em", "em_manager", *STAFFING),
    "staffing:assignment_add": ("em", "em_manager", *STAFFING),
    "staffing:assignment_confirm": STAFFING,
    "staffing:assignment_cancel": ("em", "em_manager", *STAFFING),
    # admin pages of the project's own
    "admin:login": ANY_ANSWER,
    "admin:logout": ANY_ANSWER,
    "admin:password_change": STAFF,
    "admin:auth_user_password_change": ("admin",),
    "admin:sow_approvalqueueitem_review": ("ps_director", "admin"),
    "admin:sow_approvalqueueitem_cr_review": ("ps_director", "admin"),
    "admin:forecasting_bookingsplan_import": ("ps_director", "admin"),
    "admin:forecasting_forecastsnapshot_take": ("admin",),
}

# Admin pages that answer a POST like a GET (nothing to write): a POST is held to the page's own rule.
ADMIN_READS_ON_POST = (
    "admin:index",
    "admin_status",
    "admin:jsi18n",
    "admin:app_list",
    "admin:view_on_site",
    "admin:autocomplete",
    "admin:salesforce_syncrun_health",
    "admin:password_change_done",
)


class AdminWrites(TypedDict, total=False):
    """Roles allowed each write on one model's admin pages, and on each of its admin actions."""

    add: tuple[str, ...]
    change: tuple[str, ...]
    delete: tuple[str, ...]
    revert: tuple[str, ...]
    actions: dict[str, tuple[str, ...]]


_ADMIN_ONLY: AdminWrites = {"add": ("admin",), "change": ("admin",), "delete": ("admin",)}
_NOBODY: AdminWrites = {"add": (), "change": (), "delete": ()}

# Per registered model: who may add, change (the change form), delete, revert (the history page) and
# run each admin action. Models not listed here fail the test until someone decides.
ADMIN_WRITES: dict[str, AdminWrites] = {
    "axes_accessattempt": {
        "add": (),
        "change": (),
        "delete": ("admin",),
        "actions": {"delete_selected": ("admin",), "cleanup_expired_attempts": ("admin",)},
    },
    "axes_accesslog": {
        "add": (),
        "change": (),
        "delete": ("admin",),
        "actions": {"delete_selected": ("admin",)},
    },
    "axes_accessfailurelog": {
        "add": (),
        "change": (),
        "delete": ("admin",),
        "actions": {"delete_selected": ("admin",)},
    },
    "auth_group": {**_ADMIN_ONLY, "actions": {"delete_selected": ("admin",)}},
    "auth_user": {**_ADMIN_ONLY, "actions": {"delete_selected": ("admin",)}},
    "django_celery_beat_clockedschedule": {**_ADMIN_ONLY, "actions": {"delete_selected": ("admin",)}},
    "django_celery_beat_crontabschedule": {**_ADMIN_ONLY, "actions": {"delete_selected": ("admin",)}},
    "django_celery_beat_intervalschedule": {**_ADMIN_ONLY, "actions": {"delete_selected": ("admin",)}},
    "django_celery_beat_solarschedule": {**_ADMIN_ONLY, "actions": {"delete_selected": ("admin",)}},
    "django_celery_beat_periodictask": {
        **_ADMIN_ONLY,
        "actions": {
            "delete_selected": ("admin",),
            "enable_tasks": ("admin",),
            "disable_tasks": ("admin",),
            "toggle_tasks": ("admin",),
            "run_tasks": ("admin",),
        },
    },
    "engagements_account": {**_ADMIN_ONLY, "revert": (), "actions": {"delete_selected": ("admin",)}},
    # The EM call timeline, the outbox and conflicts are records of what happened: nobody edits or
    # deletes them in the admin (a lost push or conflict would lose an edit).
    "engagements_confidenceevent": _NOBODY,
    # No bulk delete: an administrator deletes one opportunity at a time, and only one no past
    # forecast week holds (removal is marking it removed, as the sync does).
    "engagements_opportunity": {**_ADMIN_ONLY, "add": (), "revert": (), "actions": {}},
    "engagements_pendingpush": {**_NOBODY, "actions": {"retry_push": ("admin",)}},
    "core_emailfailure": _NOBODY,
    "notifications_notification": _NOBODY,
    "notifications_emaildelivery": {**_NOBODY, "actions": {"send_again": ("admin",)}},
    "salesforce_syncconflict": {
        **_NOBODY,
        "actions": {"keep_local": ("admin",), "take_salesforce": ("admin",)},
    },
    "salesforce_synccursor": _NOBODY,
    "salesforce_syncrun": _NOBODY,
    # What the sync sent and what it took in: records of what happened, read-only.
    "salesforce_sentvalue": _NOBODY,
    "salesforce_salesforcechange": _NOBODY,
    "forecasting_bookingsplan": {
        "add": ("ps_director", "admin"),
        "change": ("ps_director", "admin"),
        "delete": ("ps_director", "admin"),
        "actions": {"delete_selected": ("ps_director", "admin")},
    },
    "forecasting_exchangerate": {
        "add": ("ps_director", "admin"),
        "change": ("ps_director", "admin"),
        "delete": ("admin",),
        "actions": {"delete_selected": ("admin",)},
    },
    "forecasting_forecastsnapshot": {
        "add": (),
        "change": (),
        "delete": ("admin",),
        "actions": {"delete_selected": ("admin",)},
    },
    "people_person": {
        "add": ("ps_operations", "admin"),
        "change": ("ps_operations", "admin"),
        "delete": ("admin",),
        "revert": (),
        "actions": {"delete_selected": ("admin",)},
    },
    "people_region": {**_ADMIN_ONLY, "revert": ("admin",), "actions": {"delete_selected": ("admin",)}},
    "people_skill": {
        "add": ("ps_operations", "admin"),
        "change": ("ps_operations", "admin"),
        "delete": ("admin",),
        "actions": {"delete_selected": ("admin",)},
    },
    "scoping_deliveryrole": {
        "add": ("practice_manager", "admin"),
        "change": ("practice_manager", "admin"),
        "delete": ("practice_manager", "admin"),
        "revert": ("practice_manager", "admin"),
        "actions": {"delete_selected": ("practice_manager", "admin")},
    },
    "scoping_serviceoffering": {
        "add": ("practice_manager", "admin"),
        "change": ("practice_manager", "admin"),
        "delete": ("practice_manager", "admin"),
        "revert": ("practice_manager", "admin"),
        "actions": {"delete_selected": ("practice_manager", "admin")},
    },
    "scoping_estimate": {**_NOBODY, "revert": ()},
    "scoping_scopingissue": {**_NOBODY, "revert": ()},
    "scoping_tareview": _NOBODY,
    "sow_approvalqueueitem": _NOBODY,
    "sow_margintarget": {
        "add": ("ps_director", "admin"),
        "change": ("ps_director", "admin"),
        "delete": ("admin",),
        "actions": {"delete_selected": ("admin",)},
    },
    "sow_sowtemplate": {
        "add": ("practice_manager", "admin"),
        "change": ("ps_director", "practice_manager", "admin"),
        "delete": ("admin",),
        "revert": ("ps_director", "practice_manager", "admin"),
        "actions": {"delete_selected": ("admin",)},
    },
    "sow_supplierentity": {**_ADMIN_ONLY, "revert": ("admin",), "actions": {"delete_selected": ("admin",)}},
    # the approval ladder's configuration: administrators
    **{
        model: {**_ADMIN_ONLY, "actions": {"delete_selected": ("admin",)}}
        for model in ("sow_approvalrule", "sow_approverrole", "sow_workingcalendar", "sow_delegation")
    },
}
