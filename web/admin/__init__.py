"""Admin pages of issue 11: the agency's users, and (the owner) the agencies themselves."""
