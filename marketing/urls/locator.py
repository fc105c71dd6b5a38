"""Portal pages of channel marketing: locator."""

app_name = "locator"
urlpatterns: list = []
