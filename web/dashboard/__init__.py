"""The dashboard (``/``, ``dashboard.index``): what is coming up, what went out, what needs
someone's attention (:mod:`.views`, its lists in :mod:`.queries`)."""
