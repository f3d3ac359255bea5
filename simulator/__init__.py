"""Loopback platform simulator: stands in for social networks so Tenfour runs without credentials.

Entry points: ``simulator.app.create_app``, ``simulator.server.serve`` /
``start_in_thread``, and ``python -m simulator``. Imports only the stdlib and
Flask/Werkzeug, never another Tenfour package.
"""
