"""Google Calendar through google-api-python-client."""
