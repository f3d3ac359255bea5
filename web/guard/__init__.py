"""The sensitive-information guard's pages (issue 10): the settings page (allow-list, extra
patterns, the agency footer), the findings shown with their words highlighted on the compose
and post pages, and an approver's written override."""
