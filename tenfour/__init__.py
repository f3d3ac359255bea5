"""Tenfour: outreach scheduler for 911 emergency communications centers."""
