"""The library pages: post templates, and bulk import/export of the queue (issue 8)."""
