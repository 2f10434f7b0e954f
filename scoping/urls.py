from django.urls import path

from scoping import views

app_name = "scoping"

urlpatterns = [
    path("scoping/", views.issue_list, name="list"),
    path("scoping/board/", views.board, name="board"),
    path("scoping/ta-queue/", views.ta_queue, name="ta_queue"),
    path("opportunities/<int:opportunity_pk>/scoping/new/", views.issue_create, name="create"),
    path("scoping/<int:pk>/", views.issue_detail, name="detail"),
    path("scoping/<int:pk>/edit/", views.issue_edit, name="edit"),
    path("scoping/<int:pk>/move/", views.issue_move, name="move"),
    path("scoping/<int:pk>/assistance/", views.request_assistance, name="request_assistance"),
    path("scoping/<int:pk>/ta-decision/", views.ta_decide, name="ta_decide"),
    path("scoping/<int:pk>/estimates/new/", views.estimate_create, name="estimate_create"),
    path("estimates/<int:pk>/", views.estimate_detail, name="estimate"),
    path("estimates/<int:pk>/save/", views.estimate_save, name="estimate_save"),
    path("estimates/<int:pk>/preview/", views.estimate_preview, name="estimate_preview"),
    path("estimates/<int:pk>/add-offering/", views.estimate_add_offering, name="estimate_add_offering"),
    path("estimates/<int:pk>/add-line/", views.estimate_add_line, name="estimate_add_line"),
    path(
        "estimates/<int:pk>/lines/<int:line_pk>/delete/",
        views.estimate_delete_line,
        name="estimate_delete_line",
    ),
    path("estimates/<int:pk>/revise/", views.estimate_revise, name="estimate_revise"),
    path("estimates/<int:pk>/share/", views.estimate_share, name="estimate_share"),
    path("estimates/<int:pk>/agree/", views.estimate_agree, name="estimate_agree"),
    path("estimates/<int:pk>/diff/", views.estimate_diff, name="estimate_diff"),
    path("estimates/<int:pk>/export.csv", views.estimate_export, name="estimate_export"),
]
