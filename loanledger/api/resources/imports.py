"""File imports: a bank uploads a CSV or XLSX of loans or events; templates to fill in.

The use case is `loanledger.services.imports`; here the multipart form is read, the answer
shaped, and who may see which import decided (a bank its own; staff roles any).
"""

from __future__ import annotations

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields

from loanledger.api.auth import endpoint
from loanledger.api.errors import ApiError
from loanledger.domain.vocabulary import STAFF_ROLES
from loanledger.request_context import business_date, principal, session
from loanledger.services import imports, read, spreadsheets
from loanledger.services.errors import NotFound
from loanledger.wire.fields import Document, Schema

blp = Blueprint(
    "imports",
    __name__,
    url_prefix="/imports",
    description="File imports of loans and events (CSV in UTF-8 or GB18030, or XLSX) and their templates",
)

MAX_ID = 2**63 - 1
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file", "kind"],
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": "CSV (UTF-8 with or without BOM, or GB18030) or XLSX; one header row of field "
                        "names, optionally under the template's row of Chinese captions",
                    },
                    "kind": {"type": "string", "enum": list(imports.KINDS)},
                },
            }
        }
    },
}


class ImportErrorOut(Schema):
    row = fields.Integer(
        allow_none=True, metadata={"description": "as a spreadsheet numbers it; null: the file"}
    )
    column = fields.String(
        allow_none=True, metadata={"description": "the field name; null: the whole row"}
    )
    code = fields.String()
    message = fields.String()


class ImportView(Document):
    import_id = fields.Integer()
    kind = fields.String()
    filename = fields.String()
    sha256 = fields.String()
    size_bytes = fields.Integer()
    format = fields.String(allow_none=True, metadata={"description": "csv or xlsx"})
    encoding = fields.String(
        allow_none=True, metadata={"description": "utf-8, utf-8-bom or gb18030 (CSV)"}
    )
    status = fields.String(
        metadata={"description": "pending, running, done; failed when refused as a whole"}
    )
    header_row = fields.Integer(allow_none=True)
    rows = fields.Integer()
    accepted = fields.Integer()
    duplicates = fields.Integer()
    rejected = fields.Integer()
    error_count = fields.Integer(
        metadata={"description": "all errors; `errors` shows the first 1000"}
    )
    errors = fields.List(fields.Nested(ImportErrorOut))
    created_at = fields.String()
    started_at = fields.String(allow_none=True)
    finished_at = fields.String(allow_none=True)
    duplicate_of = fields.Integer(
        metadata={"description": "only when the same file was imported before"}
    )


def _form() -> tuple[str, object]:
    kind, upload = request.form.get("kind"), request.files.get("file")
    errors = []
    if upload is None:
        errors.append(
            {
                "field": "file",
                "code": "required",
                "message": "send the file as the multipart field `file`",
            }
        )
    if not kind:
        errors.append(
            {"field": "kind", "code": "required", "message": "send `kind`: loans or events"}
        )
    elif kind not in imports.KINDS:
        errors.append(
            {"field": "kind", "code": "invalid_format", "message": "`kind` must be loans or events"}
        )
    if errors:
        raise ApiError(422, errors[0]["code"], "the upload is not valid", errors=errors)
    return kind, upload


def _visible(import_id: int):
    job = read.import_job(session(), import_id)
    who = principal()
    if job is None or (who.kind == "bank" and job.bank_code != who.bank_code):
        raise NotFound(f"import {import_id}")
    return job


@blp.route("")
class Imports(MethodView):
    @endpoint(bank=True)
    @blp.doc(requestBody=UPLOAD_BODY)
    @blp.response(
        202,
        ImportView,
        description="accepted: a small file is imported within the request (`status` done); a "
        "bigger one is left `pending` for the import worker: poll GET /imports/{id} (the "
        "Location header) until `done` or `failed`",
    )
    @blp.alt_response(
        200,
        schema=ImportView,
        success=True,
        description="the same file (same SHA-256) was imported before: that import, with `duplicate_of`",
    )
    def post(self):
        kind, upload = _form()
        who, db = principal(), session()
        with imports.spool(upload.stream) as spooled:
            upload.close()
            try:
                job, created = imports.receive(
                    db,
                    who.bank_code,
                    kind,
                    spooled,
                    imports.clean_filename(upload.filename),
                    who.actor,
                    business_date(),
                )
            except imports.FileRefused:
                # Refused as a whole, yet the import record (status failed, with the reason) is
                # kept: committed here, on purpose, because the refusal then rolls the request's
                # unit of work back. Nothing else was written. The answer names the import.
                db.commit()
                raise
        if not created:
            return {**imports.view(db, job), "duplicate_of": job.id}, 200
        return imports.view(db, job), 202, {"Location": f"/api/v1/imports/{job.id}"}


@blp.route(f"/<int(max={MAX_ID}):import_id>")
class ImportItem(MethodView):
    @endpoint(*STAFF_ROLES, bank=True)
    @blp.response(200, ImportView)
    def get(self, import_id):
        return imports.view(session(), _visible(import_id))


@blp.route(f"/<int(max={MAX_ID}):import_id>/errors.csv")
class ImportErrors(MethodView):
    @endpoint(*STAFF_ROLES, bank=True)
    @blp.doc(
        responses={
            "200": {
                "description": "row,column,code,message (UTF-8 with BOM)",
                "content": {"text/csv": {"schema": {"type": "string"}}},
            }
        }
    )
    def get(self, import_id):
        job = _visible(import_id)
        return Response(
            imports.errors_csv(session(), job),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="import-{job.id}-errors.csv"'},
        )


@blp.route("/templates/<string:kind>.xlsx")
class ImportTemplate(MethodView):
    @endpoint(*STAFF_ROLES, bank=True)
    @blp.doc(
        responses={
            "200": {
                "description": "the XLSX template: captions, field names, formats, validation",
                "content": {XLSX_MIMETYPE: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    )
    def get(self, kind):
        if kind not in imports.KINDS:
            raise NotFound(f"template {kind}")
        return Response(
            spreadsheets.template(kind),
            mimetype=XLSX_MIMETYPE,
            headers={"Content-Disposition": f'attachment; filename="loanledger-{kind}.xlsx"'},
        )


BLUEPRINTS = [blp]
