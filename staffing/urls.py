from django.urls import path

from staffing import views

app_name = "staffing"

urlpatterns = [
    path("staffing/", views.staffing_list, name="list"),
    path("sows/<int:sow_pk>/staffing/new/", views.requirement_create, name="requirement_create"),
    path("sows/staffing/<int:pk>/", views.requirement_detail, name="requirement"),
    path("sows/staffing/<int:pk>/edit/", views.requirement_edit, name="requirement_edit"),
    path("sows/staffing/<int:pk>/delete/", views.requirement_delete, name="requirement_delete"),
    path("sows/staffing/<int:pk>/assign/", views.assignment_add, name="assignment_add"),
    path("sows/assignments/<int:pk>/confirm/", views.assignment_confirm, name="assignment_confirm"),
    path("sows/assignments/<int:pk>/cancel/", views.assignment_cancel, name="assignment_cancel"),
]
