"""The media library page: every uploaded image with its alt text (issue 8)."""
