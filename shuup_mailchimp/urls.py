"""Public URLs of shuup_mailchimp. None yet: the webhook endpoint (Mailchimp -> Shuup) will live here."""
app_name = "shuup_mailchimp"
urlpatterns = []
