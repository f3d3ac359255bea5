"""The OpenAPI description of the users and tokens operations (issue 11 people)."""

from __future__ import annotations

from web.api.openapi import document, op
from web.api.openapi_schemas import REQUIRED_TIME, TIME, obj, ref

_USER = {"id": {"type": "integer"}, "email": {"type": "string"},
         "display_name": {"type": "string"}, "role": {"type": "string"},
         "active": {"type": "boolean"}, "created_at": REQUIRED_TIME, "last_login_at": TIME}
_TOKEN = {"id": {"type": "integer"}, "name": {"type": "string"}, "prefix": {"type": "string"},
          "role": {"type": "string"}, "created_at": REQUIRED_TIME, "last_used_at": TIME,
          "expires_at": TIME, "revoked_at": TIME}
SCHEMAS = {
    "User": obj(_USER),
    "UserWithPassword": obj({**_USER, "password": {"type": "string"}},
                            required=list(_USER)),
    "UserList": obj({"users": {"type": "array", "items": ref("User")}}),
    "NewUser": obj({"email": {"type": "string"}, "role": {"type": "string",
                    "enum": ["admin", "approver", "pio", "viewer"]},
                    "display_name": {"type": "string"}, "password": {"type": "string"}},
                   required=["email", "role"]),
    "UserChange": obj({"role": {"type": "string", "enum": ["admin", "approver", "pio", "viewer"]},
                       "active": {"type": "boolean"}}, required=[]),
    "Token": obj(_TOKEN),
    "NewTokenShown": obj({**_TOKEN, "token": {"type": "string"}}),
    "TokenList": obj({"tokens": {"type": "array", "items": ref("Token")}}),
    "NewToken": obj({"name": {"type": "string"},
                     "expires_at": {"type": ["string", "null"], "format": "date-time"}},
                    required=["name"]),
}
for _rule, _method, _operation in (
    ("/users", "GET", op("The agency's users (admins)", "users", (200, "UserList", "The users."),
                         errors=("403",))),
    ("/users", "POST", op("Create a user (admins); a generated password is in the answer once",
                          "users", (201, "UserWithPassword", "The user."), body="NewUser",
                          errors=("403", "409", "422"))),
    ("/users/<int:user_id>", "GET", op("Read a user (admins)", "users", (200, "User", "The user."),
                                       errors=("403", "404"))),
    ("/users/<int:user_id>", "PATCH", op("Change a user's role or active (admins)", "users",
                                         (200, "User", "The user."), body="UserChange",
                                         errors=("403", "404", "409", "422"))),
    ("/users/<int:user_id>/reset-password", "POST", op(
        "Reset a user's password (admins): a generated password, shown once; their sessions "
        "and tokens end", "users", (200, "UserWithPassword", "The user and the password."),
        errors=("403", "404"))),
    ("/tokens", "GET", op("Your API tokens, with their last use", "tokens",
                          (200, "TokenList", "The tokens."))),
    ("/tokens", "POST", op("Create an API token (it acts with your role); the token is in the "
                           "answer once", "tokens", (201, "NewTokenShown", "The token."),
                           body="NewToken", errors=("422",))),
    ("/tokens/<int:token_id>", "DELETE", op("Revoke one of your tokens", "tokens",
                                            (200, "Token", "The revoked token."),
                                            errors=("404",))),
    ("/tokens/<int:token_id>/revoke", "POST", op("Revoke one of your tokens", "tokens",
                                                 (200, "Token", "The revoked token."),
                                                 errors=("404",))),
):
    document(_rule, _method, _operation, SCHEMAS)
