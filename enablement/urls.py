"""Portal URLs of enablement: ``training`` under /portal/training/, ``content`` under /portal/content/,
``announcements`` under /portal/announcements/."""

from django.urls import path

from . import views

training = [
    path("", views.training, name="home"),
    path("courses/<int:pk>/", views.course_detail, name="course"),
    path("attempts/<int:pk>/", views.attempt_detail, name="attempt"),
    path("certificates/<int:pk>/pdf/", views.certificate_pdf, name="certificate_pdf"),
]

content = [
    path("", views.content_list, name="list"),
    path("<int:pk>/download/", views.content_download, name="download"),
]

announcements = [
    path("", views.announcement_list, name="list"),
    path("<int:pk>/dismiss/", views.announcement_dismiss, name="dismiss"),
]

# --- Surveys (partner feedback): ``surveys`` under /portal/surveys/ ---
surveys = [
    path("", views.survey_list, name="list"),
    path("<int:pk>/", views.survey_answer, name="answer"),
]

# --- News: newsletters under /portal/news/ ---
news = [
    path("", views.news_list, name="list"),
    path("preferences/", views.news_preferences, name="preferences"),
    path("<int:pk>/", views.news_detail, name="detail"),
]
