"""What the API's file uploads have in common: the multipart body they document, and what an
answer says of the file it read (the 名录库 import, the bank's return file)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

FILE_FORMATS = "CSV (UTF-8 with or without BOM, or GB18030) or XLSX"


def file_upload_body(description: str, **properties: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI requestBody: multipart/form-data with a required `file` (and `properties`,
    required too)."""
    return {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", *properties],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": f"{FILE_FORMATS}: {description}",
                        },
                        **properties,
                    },
                }
            }
        },
    }


class FileReadOut(Schema):
    """The file as the import read it."""

    filename = fields.String()
    sha256 = fields.String()
    size_bytes = fields.Integer()
    format = fields.String(metadata={"description": "csv or xlsx"})
    encoding = fields.String(
        allow_none=True, metadata={"description": "utf-8, utf-8-bom or gb18030 (CSV)"}
    )
    header_row = fields.Integer()
    ignored_columns = fields.List(
        fields.String(), metadata={"description": "header cells naming no field, as written"}
    )
