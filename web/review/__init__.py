"""issue 8 approvals: the public page of a review link (no login; the signed token in the URL)."""
