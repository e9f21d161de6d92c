"""The wire format: what a JSON body or an import file's row carries, and how it becomes fen,
rate_e4 and dates (fields, schemas, the fast parser, marshmallow's messages as error codes).

Shared by the API and the use cases that take wire items (bulk, imports). It imports the
domain and marshmallow, never services, api, web or persistence (tests/unit/test_layering.py).
"""
