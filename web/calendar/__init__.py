"""issue 8 calendar: month and week views, drag or keyboard rescheduling, the ICS feed,
posting slots and recurring series."""
