"""The accounts area's one blueprint, in a module of its own so the pages that list and check
accounts (:mod:`.views`, :mod:`.credentials`) and the connect flows (:mod:`.connect`) can all
put their routes on it without importing one another. Its endpoints are ``accounts.*``."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("accounts", __name__, template_folder="templates")
