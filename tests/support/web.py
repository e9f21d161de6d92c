"""The web pages as a browser stand-in sees them: Flask's test client with cookies and the
CSRF token, and the text and flash messages of a page."""

from __future__ import annotations

import re

TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


class Web:
    """A browser stand-in: Flask's test client with cookies, which reads the CSRF token from
    the last page like a form would."""

    def __init__(self, app):
        self.client = app.test_client()
        self.token: str | None = None

    def get(self, path: str, **kwargs):
        response = self.client.get(path, **kwargs)
        match = (
            TOKEN_RE.search(response.get_data(as_text=True))
            if response.mimetype == "text/html"
            else None
        )
        if match:
            self.token = match.group(1)
        return response

    def post(
        self,
        path: str,
        data: dict | None = None,
        *,
        token: bool = True,
        from_page: str | None = None,
        follow: bool = True,
    ):
        if token and (from_page or self.token is None):
            self.get(from_page or "/login")
        body = dict(data or {})
        if token:
            body.setdefault("csrf_token", self.token)
        return self.client.post(path, data=body, follow_redirects=follow)

    def login(self, username: str, password: str):
        self.get("/login")
        response = self.post("/login", {"username": username, "password": password})
        self.get(response.request.path)  # the token of the signed-in session
        return response


def text(response) -> str:
    return response.get_data(as_text=True)


def flashes(response, kind: str) -> list[str]:
    return re.findall(rf'<div class="flash flash-{kind}"[^>]*>(.*?)</div>', text(response), re.S)


# The confirmation box of an irreversible step (web/forms.CONFIRM_FIELD), ticked.
CONFIRMED = {"confirmed": "yes"}
