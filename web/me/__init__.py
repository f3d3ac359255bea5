"""Every user's own page (issue 11): password and API tokens."""
