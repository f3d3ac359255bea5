"""The notifications area: a person's list of what needs them, and the unread count in the
header of every page."""
