"""Public URLs of shuup_mailchimp (webhooks arrive here). Include under any prefix."""
app_name = "shuup_mailchimp"
urlpatterns = []
