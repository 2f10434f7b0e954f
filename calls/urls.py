from django.urls import path

from calls import accuracy_views, views

app_name = "calls"

urlpatterns = [
    path("calls/mine/", views.mine, name="mine"),
    path("calls/team/", views.team, name="team"),
    path("calls/", views.organisation, name="org"),
    path("calls/export.csv", views.export, name="export"),
    path("calls/accuracy/", accuracy_views.call_accuracy, name="accuracy"),
]
