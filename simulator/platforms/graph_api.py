"""The simulated Graph API host (``graph.facebook.com``), shared by Facebook Pages and Instagram.

URL layout: everything under ``/graph`` stands for ``https://graph.facebook.com`` — an account's
``api_base_url`` is ``<simulator>/graph`` and clients add the version path as they would on the
real host: ``/graph/v25.0/<object-id>[/<edge>]``, ``/graph/v25.0/?ids=a,b&fields=...``,
``/graph/v25.0/oauth/access_token``, ``/graph/v25.0/dialog/oauth`` (the consent page, which
really lives on www.facebook.com).

Which platform a request belongs to (request log, faults, usage headers, stored posts) is decided
per request from the object id, before the route runs:

* ``1784`` + 13 digits: an Instagram professional account → ``instagram``;
* an id the store knows: an Instagram container or media → ``instagram``; a Page post, photo or
  comment → ``facebook``;
* ``me``, ``oauth``, ``dialog`` and any other numeric id (a Page) → ``facebook``.

``facebook.py`` and ``instagram.py`` register resolvers and handlers here; this module only
routes. Unknown objects answer Graph's ``(#100) Unsupported get request`` (subcode 33).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from simulator.context import claim_request
from simulator.platforms.graph_core import VERSION_RE, graph_error, parse_fields

#: Resolves an object id to (platform, kind, business id) or None.
Resolver = Callable[[str], "tuple[str, str, str] | None"]
Handler = Callable[..., Any]

bp = Blueprint("graph", __name__, url_prefix="/graph")

_resolvers: list[Resolver] = []
_fallbacks: list[Resolver] = []
_handlers: dict[tuple[str, str, str | None], Handler] = {}


def resolver(fn: Resolver) -> Resolver:
    """Register an id resolver; the first that recognises an id wins."""
    _resolvers.append(fn)
    return fn


def fallback_resolver(fn: Resolver) -> Resolver:
    """Register a resolver asked only after every other one (a bare numeric id is a Page)."""
    _fallbacks.append(fn)
    return fn


def handles(kind: str, method: str, edge: str | None = None) -> Callable[[Handler], Handler]:
    """Register ``fn(object_id, ...)`` for ``METHOD /<version>/<object of kind>[/<edge>]``."""

    def register(fn: Handler) -> Handler:
        _handlers[(kind, method, edge)] = fn
        return fn

    return register


def resolve(object_id: str) -> tuple[str, str, str] | None:
    for fn in (*_resolvers, *_fallbacks):
        found = fn(object_id)
        if found is not None:
            return found
    return None


def _unsupported(object_id: str) -> Exception:
    verb = "post" if request.method == "POST" else "get"
    return graph_error(
        400, 100,
        f"Unsupported {verb} request. Object with ID '{object_id}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation.",
        subcode=33, type_="GraphMethodException")


@bp.before_request
def attribute_request() -> None:
    """Claim the request for its platform before anything can fail, so errors, logs and
    faults land under the right name."""
    args = request.view_args or {}
    version = args.get("version", "")
    object_id = args.get("object_id")
    if object_id is None and request.args.get("ids"):
        object_id = request.args["ids"].split(",")[0].strip()
    found = resolve(object_id) if object_id else None
    platform, kind, business = found if found else ("facebook", "", "")
    claim_request(platform)
    g.graph_kind = kind
    g.graph_business_id = business
    if not VERSION_RE.match(version):
        raise graph_error(400, 2500, f"Unknown path components: /{version}")


@bp.after_request
def version_header(response: Response) -> Response:
    version = (request.view_args or {}).get("version")
    if version:
        response.headers["facebook-api-version"] = version
    return response


#: Graph's node type names, for "nonexisting field" messages.
NODE_TYPES = {"page": "Page", "post": "PagePost", "comment": "Comment", "photo": "Photo", "me": "User",
              "ig_user": "IGUser", "media": "IGMedia", "container": "ShadowIGMediaBuilder"}


def dispatch(object_id: str, edge: str | None) -> Any:
    kind = g.get("graph_kind")
    handler = _handlers.get((kind, request.method, edge)) if kind else None
    if handler is not None:
        return handler(object_id)
    if kind and edge is not None and not any(k == kind and e == edge for k, _, e in _handlers):
        raise graph_error(400, 100, f"Tried accessing nonexisting field ({edge}) on node type "
                          f"({NODE_TYPES.get(kind, kind)})")
    raise _unsupported(object_id)


@bp.route("/<version>/<object_id>", methods=["GET", "POST"])
def object_root(version: str, object_id: str) -> Any:
    return dispatch(object_id, None)


@bp.route("/<version>/<object_id>/<edge>", methods=["GET", "POST"])
def object_edge(version: str, object_id: str, edge: str) -> Any:
    return dispatch(object_id, edge)


@bp.route("/<version>/<object_id>/<edge>/<path:rest>", methods=["GET"])
def object_edge_rest(version: str, object_id: str, edge: str, rest: str) -> Any:
    """``/<post-id>/insights/<metric>``: the metric in the path."""
    g.graph_path_rest = rest
    return dispatch(object_id, edge)


@bp.get("/<version>/")
def many_objects(version: str) -> Response:
    """``GET /?ids=a,b&fields=...``: several objects in one call, keyed by id."""
    ids = [i.strip() for i in request.args.get("ids", "").split(",") if i.strip()]
    if not ids:
        raise graph_error(400, 100, "The parameter ids is required")
    if len(ids) > 50:
        raise graph_error(400, 100, "Too many IDs. Maximum: 50.")
    out: dict[str, Any] = {}
    missing = []
    for object_id in ids:
        found = resolve(object_id)
        handler = _handlers.get((found[1], "GET", None)) if found else None
        if handler is None:
            missing.append(object_id)
            continue
        g.graph_kind = found[1]
        out[object_id] = handler(object_id).get_json()
    if missing:
        raise graph_error(400, 803, "Some of the aliases you requested do not exist: " + ",".join(missing))
    return jsonify(out)


def fields() -> dict[str, str]:
    return parse_fields(request.values.get("fields"))
