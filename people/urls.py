from django.urls import path

from people import views

app_name = "people"

urlpatterns = [
    path("people/", views.person_list, name="list"),
    path("people/<int:pk>/", views.person_detail, name="detail"),
    path("people/<int:pk>/edit/", views.person_edit, name="edit"),
]
