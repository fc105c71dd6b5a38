from django.urls import path

from . import views

app_name = "conflicts"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views.case_new, name="new"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/reply/", views.case_reply, name="reply"),
    path("<int:pk>/reopen/", views.case_reopen, name="reopen"),
    path("<int:pk>/evidence/<int:request_pk>/", views.evidence_answer, name="evidence"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
]
