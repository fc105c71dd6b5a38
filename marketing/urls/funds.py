"""Portal pages of channel marketing: funds."""

app_name = "funds"
urlpatterns: list = []
