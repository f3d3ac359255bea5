"""issue 8 approvals: the approver's queue, decisions with a comment, the post's thread,
versions and edits, review links, and the agency's approval rules."""
