"""Signing in and out, the logged-in user, and the rule that every page needs a login."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import NoReturn, TypeVar

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session, joinedload
from wtforms import EmailField, PasswordField
from wtforms.validators import InputRequired, Length

from content_queue.errors import Forbidden
from content_queue.models import User
from content_queue.passwords import MAX_PASSWORD
from content_queue.sessions import end_sessions, parse_session_key, session_key
from content_queue.users import OWNER, audit, authenticate
from web.common.scoped_ids import check_ids_in_scope
from web.common.security import safe_next
from web.common.sign_in import Lockout, SignInGuard, guard
from web.common.state import (EXTENSION_KEY, discard_changes, get_session, get_state, now,
                              scope_to_agency)

bp = Blueprint("auth", __name__)
login_manager = LoginManager()

#: Endpoints reachable without a login. The API authenticates itself (Bearer tokens).
#: Reachable without a session. ``media.public_file`` serves an image only under its HMAC-signed
#: URL, for platforms (Instagram) whose servers fetch the image themselves.
PUBLIC_ENDPOINTS = frozenset({"auth.login", "health.healthz", "health.readyz", "metrics.metrics",
                              "static", "media.public_file",
                              "review.page", "review.decide",  # issue 8: signed review links
                              "calendar.feed",  # issue 8 calendar: the secret ICS feed URL
                              "sso.start", "sso.callback"})  # issue 11: single sign-on


class WebUser(UserMixin):
    """Flask-Login's view of a :class:`User`; ``model`` is the row the services take."""

    def __init__(self, model: User) -> None:
        self.model = model

    def get_id(self) -> str:
        # The session version makes logout, a password change and deactivation end every
        # session on the server (content_queue.sessions).
        return session_key(self.model)

    @property
    def is_active(self) -> bool:
        return bool(self.model.active)

    @property
    def id(self) -> int:
        return self.model.id

    @property
    def name(self) -> str:
        return self.model.display_name or self.model.email

    @property
    def role(self) -> str:
        return self.model.role

    @property
    def is_approver(self) -> bool:
        return self.model.is_approver

    @property
    def is_admin(self) -> bool:
        return self.model.role == "admin"

    @property
    def is_owner(self) -> bool:
        return self.model.role == OWNER

    @property
    def can_write(self) -> bool:
        return self.model.role != "viewer"


def _load_user(user_id: str) -> WebUser | None:
    parsed = parse_session_key(user_id)
    if parsed is None:
        return None
    db: Session = get_session()
    # the agency with it: every page reads its zone and name (one statement, not two)
    user = db.get(User, parsed[0], options=[joinedload(User.agency)])
    if user is None or not user.active or (user.session_version or 0) != parsed[1]:
        return None
    scope_to_agency(user.agency_id)  # every query of this request sees this agency only
    return WebUser(user)


def current_actor() -> User:
    """The logged-in user's row, for the services."""
    return current_user.model


View = TypeVar("View", bound=Callable)


def roles_allowed(roles: Collection[str], refusal: str, *,
                  methods: Collection[str] | None = None) -> Callable[[View], View]:
    """Only these roles may use the route (with ``methods``: only for those methods, e.g. the
    POST of a page whose GET everyone reads); anyone else is answered 403 with ``refusal`` (the
    error page, or the API's JSON error) before the view reads its form or body and before any
    id in the URL is looked up, so the answer depends on neither. The check runs in the sign-in
    hooks (:func:`_require_login` for pages, the API's Bearer check) through
    :func:`role_refusal`; the decorator only records who may."""
    rule = (frozenset(roles), refusal, frozenset(methods) if methods is not None else None)

    def mark(view: View) -> View:
        view.roles_allowed = rule  # type: ignore[attr-defined]
        return view

    return mark


def refuse(exc: Forbidden) -> NoReturn:
    """A service's "you may not" on a page (e.g. a PIO's button on another author's post): the
    same 403 page as a refused role, with nothing of the request kept; never a flash and a
    redirect, which would look like it worked."""
    discard_changes()
    abort(403, exc.message)


def role_refusal(role: str) -> str | None:
    """Why ``role`` may not use this request's route (see :func:`roles_allowed`), or None."""
    view = current_app.view_functions.get(request.endpoint or "")
    rule = getattr(view, "roles_allowed", None)
    if rule is None or role in rule[0] or (rule[2] is not None and request.method not in rule[2]):
        return None
    return rule[1]


def _require_login():
    if request.endpoint in PUBLIC_ENDPOINTS or request.blueprint == "api":
        return None
    if request.endpoint is None:  # no such page: let the 404 answer
        return None
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    if current_user.is_authenticated and _idle_too_long():
        logout_user()
        session.clear()
        flash("You were signed out after a long time without activity. Sign in again.", "info")
        return redirect(url_for("auth.login", next=safe_next(target)))
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=safe_next(target)))
    refusal = role_refusal(current_user.role)
    if refusal is not None:  # before the ids: the same 403 whatever the URL names
        abort(403, refusal)
    check_ids_in_scope()  # another agency's id in the URL: 404 before the view runs
    return None


def _idle_too_long() -> bool:
    """True when the session saw no request for longer than the idle limit; otherwise notes
    this request's time in the (signed) session cookie."""
    limit = get_state().settings.session_idle_minutes * 60
    current = int(now().timestamp())
    seen = session.get("_seen")
    if isinstance(seen, int) and current - seen > limit:
        return True
    if not isinstance(seen, int) or current - seen >= 30:  # spare a new cookie per request
        session["_seen"] = current
    return False


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[InputRequired("Enter your email address.")])
    password = PasswordField("Password", validators=[
        InputRequired("Enter your password."),
        Length(max=MAX_PASSWORD, message=f"Passwords are at most {MAX_PASSWORD} characters.")])


def _locked_out(form: LoginForm, next_url: str | None, lockout: Lockout):
    page = render_template("login.html", form=form, error=lockout.message, next_url=next_url)
    return page, 429, {"Retry-After": str(lockout.retry_after)}


def _audit_lockout(email: str) -> None:
    """Committed here: the 429 answer would roll the request's transaction back."""
    db_session = get_session()
    audit(db_session, "auth.sign_in_locked", actor_id=None, entity_type="sign_in",
          entity_id=None, now=now(),
          details={"email": email.strip().lower()[:254], "address": request.remote_addr or ""})
    db_session.commit()


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = safe_next(request.values.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("dashboard.index"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        email = form.email.data or ""
        lockout = guard().lockout(email)
        if lockout is not None:  # even the right password waits: nothing is checked
            return _locked_out(form, next_url, lockout)
        user = authenticate(get_session(), email, form.password.data, now=now())
        if user is not None:
            session.clear()  # a fresh session (and CSRF secret) for the new login
            session.permanent = True  # the cookie's lifetime is the idle limit
            session["_seen"] = int(now().timestamp())
            login_user(WebUser(user))
            return redirect(next_url or url_for("dashboard.index"))
        if guard().record_failure(email):
            _audit_lockout(email)
            return _locked_out(form, next_url, guard().lockout(email) or Lockout(60))
        error = "That email and password do not match an active account."
    return render_template("login.html", form=form, error=error, next_url=next_url)


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        end_sessions(current_actor())  # a copied cookie stops working too
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


def init_app(app: Flask) -> None:
    SignInGuard(app, app.extensions[EXTENSION_KEY].settings)  # state.init_app ran first
    login_manager.init_app(app)
    login_manager.user_loader(_load_user)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    app.before_request(_require_login)
    app.register_blueprint(bp)
