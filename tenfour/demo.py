"""Demo data for `tenfour run`: an agency, a demo admin whose password is printed once (when
it is created; it is stored nowhere but as a hash), and sandbox accounts pointing at the local
simulator. Idempotent: a second run creates nothing and says how to reset the password."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterator

from sqlalchemy import select

from content_queue.accounts import add_account
from content_queue.crypto import CredentialCipher
from content_queue.db import Database
from content_queue.models import SocialAccount
from content_queue.passwords import generate_password
from content_queue.sso import save_group_roles
from content_queue.users import create_user, find_user, get_or_create_agency
from tenfour.config import Settings
from tenfour.demo_approvals import seed_approvals_demo  # issue 8 approvals
from tenfour.demo_calendar import seed_calendar_demo  # issue 8 calendar
from tenfour.demo_compose import seed_compose_demo
from tenfour.demo_engagement import seed_engagement_history
from tenfour.demo_feedback import seed_feedback_demo
from tenfour.demo_guard import seed_guard_demo  # issue 10 guard

DEMO_EMAIL = "admin@tenfour.local"
DEMO_ACCOUNTS = [
    ("metro911", "Metro 911 Communications"),
    ("metro911_careers", "Metro 911 Careers"),
]


#: issue 11: the groups of the simulator's sandbox identity provider (simulator.oidc).
DEMO_GROUP_ROLES = {"911-supervisors": "approver", "911-public-information": "pio",
                    "911-telecommunicators": "viewer"}

#: Where older versions kept the demo password in plain text; removed when found.
OLD_PASSWORD_FILE = "demo-admin-password"


def bootstrap(settings: Settings, database: Database) -> Iterator[str]:
    now = datetime.now(timezone.utc)
    old_file = settings.instance_dir / OLD_PASSWORD_FILE
    cipher = CredentialCipher(settings.encryption_keys)
    with database.session_scope() as s:
        agency = get_or_create_agency(s, settings.agency_name, settings.agency_timezone, now)
        admin = find_user(s, DEMO_EMAIL)
        password = None
        if admin is None:
            password = generate_password()
            admin = create_user(s, agency_id=agency.id, email=DEMO_EMAIL, role="admin",
                                password=password, now=now, display_name="Demo admin")
        existing = set(s.scalars(select(SocialAccount.handle)
                                 .where(SocialAccount.platform == "sandbox")))
        for handle, name in DEMO_ACCOUNTS:
            if handle not in existing:
                add_account(s, cipher, actor=admin, platform="sandbox", handle=handle,
                            display_name=name, credentials={"access_token": f"demo-{handle}"},
                            now=now)
                yield f"Connected sandbox account @{handle}."
        # issue 9 engagement: past [Demo] posts with snapshots, so the dashboard is not empty.
        demo_accounts = list(s.scalars(select(SocialAccount).where(
            SocialAccount.agency_id == agency.id, SocialAccount.platform == "sandbox",
            SocialAccount.handle.in_([h for h, _ in DEMO_ACCOUNTS])).order_by(SocialAccount.id)))
        yield from seed_engagement_history(s, agency_id=agency.id, tz_name=agency.timezone,
                                           author=admin, accounts=demo_accounts, now=now)
        yield from seed_compose_demo(s, actor=admin, now=now)  # issue 8: templates, library
        yield from seed_feedback_demo(s, agency=agency, admin=admin, now=now)  # issue 9 wall
        yield from seed_guard_demo(s, agency=agency, admin=admin, now=now)  # issue 10 guard
        yield from seed_approvals_demo(s, agency=agency, admin=admin, now=now)  # issue 8
        yield from seed_calendar_demo(s, agency=agency, admin=admin, accounts=demo_accounts,
                                      now=now)  # issue 8 calendar: slots, a recurring post
        if agency.sso_group_roles is None:  # issue 11: the sandbox identity provider's groups
            save_group_roles(s, agency, DEMO_GROUP_ROLES, actor=admin, now=now)
            yield "Single sign-on: the sandbox identity provider's groups map to roles " \
                  "(Agency settings → Single sign-on)."
    if old_file.exists():
        old_file.unlink()
        yield f"Removed {old_file} (it held the demo password in plain text)."
    yield f"Demo admin: {DEMO_EMAIL}"
    if password:
        yield f"Password: {password}  (shown this once: Tenfour keeps only its hash)"
    else:
        yield "Password: shown when the demo admin was created; to set a new one run "\
              f"`tenfour users set-password --email {DEMO_EMAIL}`"
