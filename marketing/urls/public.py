"""The public partner locator (no sign-in): /partners/ and a page per listed partner."""

app_name = "locator_public"
urlpatterns: list = []
