from django.urls import path

from . import views

app_name = "statements"

urlpatterns = [
    path("", views.statement_list, name="list"),
    path("<int:pk>/pdf/", views.statement_pdf, name="pdf"),
    path("<int:pk>/pdf/status/", views.statement_pdf_status, name="pdf_status"),
]
