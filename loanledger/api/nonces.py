"""Where spent signature nonces are kept: the database (the default) or Redis.

A nonce of a key may be spent once in any `ttl_seconds` (api.md: refused if seen in the last
600 s; a request's timestamp must be within ±300 s, so an older nonce cannot come back).

- `database://` (default): a row of `nonces`, committed at once, before the request's own
  work. Every worker and machine of one database shares it; nothing else to run, so it is the
  embedded (SQLite) default. Its cost is a write and a commit on every signed request, a GET
  included; `loanledger purge` deletes the expired rows.
- `redis://host:port/db`: one `SET key 1 NX EX ttl` a request: atomic (one request of many
  racing with the same nonce gets True), shared by every worker and machine on that Redis, and
  expiring by itself. No database write at all on a signed GET. The guarantee holds as long
  as Redis keeps the keys for their lifetime: run it with `maxmemory-policy noeviction` (an
  evicting policy may drop a live nonce) and with persistence (a Redis restarted empty would
  accept a nonce spent in the last 300 s again). docs/decisions.md (redis) and
  docs/operations.md.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from loanledger.persistence.db import is_postgres
from loanledger.persistence.tables import Nonce

DATABASE_URI = "database://"


class NonceStore(Protocol):
    def spend(self, db: Session, key_id: str, nonce: str, ttl_seconds: int) -> bool:
        """True the first time (key_id, nonce) is seen in `ttl_seconds`; False for a replay."""
        ...


class DatabaseNonces:
    def spend(self, db: Session, key_id: str, nonce: str, ttl_seconds: int) -> bool:
        """Commits the session at once (only reads have happened in it before): a nonce is
        spent even when the request is then refused. One statement: the row is inserted, or
        an expired row of the same nonce is renewed, or (a replay) nothing changes; the unique
        constraint on (key_id, nonce) decides between racing requests."""
        now = dt.datetime.now(dt.UTC)
        values = {
            "key_id": key_id,
            "nonce": nonce,
            "seen_at": now,
            "expired_before": now - dt.timedelta(seconds=ttl_seconds),
        }
        upsert = _UPSERTS["postgresql" if is_postgres(db) else "sqlite"]
        # A row comes back when one was inserted or renewed (rowcount is -1 on PostgreSQL).
        spent = db.execute(upsert, values).first() is not None
        db.commit()
        return spent


def _upsert(insert):
    table = Nonce.__table__
    statement = insert(table).values(
        key_id=bindparam("key_id"), nonce=bindparam("nonce"), seen_at=bindparam("seen_at")
    )
    return statement.on_conflict_do_update(
        index_elements=[table.c.key_id, table.c.nonce],
        set_={"seen_at": statement.excluded.seen_at},
        where=table.c.seen_at < bindparam("expired_before"),
    ).returning(table.c.id)


# Built once per dialect: every signed request runs it.
_UPSERTS = {"postgresql": _upsert(postgresql.insert), "sqlite": _upsert(sqlite.insert)}


class RedisNonces:
    def __init__(self, storage_uri: str, *, prefix: str = "loanledger"):
        # Imported here: the embedded default never needs the Redis client.
        import redis

        self.prefix = prefix
        self._redis = redis.Redis.from_url(storage_uri)

    def spend(self, db: Session, key_id: str, nonce: str, ttl_seconds: int) -> bool:
        """`db` is not touched: a signed GET then writes nothing to the database."""
        key = f"{self.prefix}:nonce:{key_id}:{nonce}"
        return bool(self._redis.set(key, b"1", nx=True, ex=ttl_seconds))


def nonce_store(storage_uri: str) -> DatabaseNonces | RedisNonces:
    if storage_uri == DATABASE_URI:
        return DatabaseNonces()
    if storage_uri.startswith(("redis://", "rediss://")):
        return RedisNonces(storage_uri)
    raise ValueError(f"a nonce store is {DATABASE_URI} or redis://…, not {storage_uri!r}")
