"""The public-records archive export (admins): a page to choose the range, and the download."""
