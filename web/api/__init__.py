"""JSON API v1: Bearer tokens only (no cookies, so no CSRF), one error shape everywhere.

Every refusal is ``{"error": {"code", "message", "fields"}}`` with a 4xx status; the codes are
the services' own, so a client can act on them without parsing messages.

Layout: :mod:`.blueprint` (the ``api`` blueprint), :mod:`.common` (Bearer authentication, JSON
bodies, the error shape), one module per resource (:mod:`.posts`, :mod:`.media`,
:mod:`.resources` for accounts and campaigns) and :mod:`.shapes` (the JSON of each resource).
``web.create_app`` imports the route modules, which is what puts their routes on the blueprint.
"""
