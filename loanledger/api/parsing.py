"""How the API reads a JSON body: with wire.strict_json, so that every malformed body is a
400 `malformed_json` (webargs turns only a JSONDecodeError into its 400)."""

from __future__ import annotations

import json
from typing import Any

import flask
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from loanledger.wire.strict_json import loads_strict


class StrictParser(FlaskParser):
    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req):
            return core.missing
        data = req.get_data(cache=True)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise json.JSONDecodeError(f"not UTF-8: {error.reason}", "", error.start) from None
        return loads_strict(text)
