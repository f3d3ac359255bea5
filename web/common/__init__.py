"""The request plumbing every area shares, in one place: the settings web reads
(:mod:`.settings`), the per-request database session (:mod:`.state`), login (:mod:`.auth`),
cookie flags and security headers (:mod:`.security`), template filters (:mod:`.formatting`),
error pages (:mod:`.errors`), form helpers (:mod:`.forms`) and ``/healthz`` (:mod:`.health`).

Areas import from here; nothing here imports an area (what an error page needs from one, such
as the API's JSON shape, is handed in by ``web.create_app``).
"""
