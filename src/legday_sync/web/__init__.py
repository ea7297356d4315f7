"""The feed server and the status page."""
