"""Portal pages of channel marketing: leads."""

app_name = "leads"
urlpatterns: list = []
