"""Signing in and out, the logged-in user, and the rule that every page needs a login."""

from __future__ import annotations

import hashlib

from flask import (
    Blueprint,
    Flask,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import EmailField, PasswordField
from wtforms.validators import InputRequired, Length

from content_queue.models import User
from content_queue.passwords import MAX_PASSWORD
from content_queue.users import audit, authenticate
from web.common.security import safe_next
from web.common.sign_in import Lockout, SignInGuard, guard
from web.common.state import EXTENSION_KEY, get_session, now

bp = Blueprint("auth", __name__)
login_manager = LoginManager()

#: Endpoints reachable without a login. The API authenticates itself (Bearer tokens).
#: Reachable without a session. ``media.public_file`` serves an image only under its HMAC-signed
#: URL, for platforms (Instagram) whose servers fetch the image themselves.
PUBLIC_ENDPOINTS = frozenset({"auth.login", "health.healthz", "health.readyz", "metrics.metrics",
                              "static", "media.public_file"})


class WebUser(UserMixin):
    """Flask-Login's view of a :class:`User`; ``model`` is the row the services take."""

    def __init__(self, model: User) -> None:
        self.model = model

    def get_id(self) -> str:
        # The password hash's fingerprint makes a password change end other sessions.
        fingerprint = hashlib.sha256(self.model.password_hash.encode()).hexdigest()[:16]
        return f"{self.model.id}.{fingerprint}"

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
    def can_write(self) -> bool:
        return self.model.role != "viewer"


def _load_user(user_id: str) -> WebUser | None:
    raw_id, _, _fingerprint = user_id.partition(".")
    if not raw_id.isdigit():
        return None
    db: Session = get_session()
    user = db.get(User, int(raw_id))
    if user is None or not user.active:
        return None
    web_user = WebUser(user)
    return web_user if web_user.get_id() == user_id else None


def current_actor() -> User:
    """The logged-in user's row, for the services."""
    return current_user.model


def _require_login():
    if request.endpoint in PUBLIC_ENDPOINTS or request.blueprint == "api":
        return None
    if request.endpoint is None:  # no such page: let the 404 answer
        return None
    if not current_user.is_authenticated:
        target = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("auth.login", next=safe_next(target)))
    return None


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
            login_user(WebUser(user))
            return redirect(next_url or url_for("dashboard.index"))
        if guard().record_failure(email):
            _audit_lockout(email)
            return _locked_out(form, next_url, guard().lockout(email) or Lockout(60))
        error = "That email and password do not match an active account."
    return render_template("login.html", form=form, error=error, next_url=next_url)


@bp.route("/logout", methods=["POST"])
def logout():
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
