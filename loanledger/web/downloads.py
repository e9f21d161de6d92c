"""A file a page offers to save (CSV, XLSX): the one way the pages answer with one."""

from __future__ import annotations

from flask import Response

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MIMETYPES = {"csv": "text/csv", "xlsx": XLSX_MIMETYPE}


def attachment(content: str | bytes, filename: str, content_type: str | None = None) -> Response:
    """`content` saved as `filename`, its type by the name's suffix (text/csv gets Flask's
    charset=utf-8) unless `content_type` says it (a CSV in GB18030)."""
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if content_type is not None:
        return Response(content, content_type=content_type, headers=headers)
    return Response(content, mimetype=MIMETYPES[filename.rsplit(".", 1)[-1]], headers=headers)
