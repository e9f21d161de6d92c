"""POST /auth/tokens: a bearer token for staff and enterprise users."""

from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields

from loanledger.api.auth import endpoint
from loanledger.api.errors import ApiError
from loanledger.domain.vocabulary import Role, words
from loanledger.request_context import principal, session
from loanledger.services import identity, sign_in
from loanledger.services.unit_of_work import unit_of_work
from loanledger.wire.fields import Schema

blp = Blueprint("auth", __name__, url_prefix="/auth", description="Staff and enterprise sign-in")


class TokenIn(Schema):
    username = fields.String(required=True)
    password = fields.String(required=True, load_only=True)


class TokenOut(Schema):
    token = fields.String()
    expires_at = fields.DateTime()
    role = fields.String()


@blp.route("/tokens")
class Tokens(MethodView):
    @blp.arguments(TokenIn)
    @blp.response(201, TokenOut)
    def post(self, data):
        ttl = current_app.extensions["loanledger"].settings.token_ttl_seconds
        with unit_of_work(session()) as db:
            # TooManyAttempts: 429 with Retry-After
            user = sign_in.sign_in(db, data["username"], data["password"])
            if user is not None:
                token, expires_at = identity.issue_token(db, user, ttl)
        if user is None:
            # Refused only after the unit of work: the failure it committed counts.
            raise ApiError(401, "invalid_token", "unknown user or wrong password")
        return {"token": token, "expires_at": expires_at, "role": user.role}


@blp.route("/tokens/current")
class CurrentToken(MethodView):
    @endpoint(*words(Role))
    @blp.response(204)
    def delete(self):
        """Sign this token out: it answers 401 from now on (the user's other tokens and page
        sessions are untouched; an administrator ends all of them at once)."""
        token = request.headers["Authorization"][len("Bearer ") :].strip()
        identity.revoke_token(session(), token, principal().actor)
        return ""


BLUEPRINTS = [blp]
