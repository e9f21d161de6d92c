"""What the administrator's pages list: users, the banks' keys, the policy's versions, the
appropriations and a pool's deposits. Never a password hash nor a key's secret: a key's
secret is shown once, when it is issued (services/identity.py), and never read back."""

from __future__ import annotations

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from loanledger.domain.policy import policy_from_doc
from loanledger.persistence.tables import BankKey, Budget, PolicyVersion, PoolDeposit, User
from loanledger.services.registry import PolicyRecord

USERS_SHOWN = 1000  # a programme has dozens of users; the page says when there are more


def users(db: Session, *, at_most: int = USERS_SHOWN) -> list[Row]:
    """Every user by username, without the password hash."""
    return list(
        db.execute(
            select(
                User.username,
                User.role,
                User.display_name,
                User.uscc,
                User.bank_code,
                User.active,
                User.created_at,
            )
            .order_by(User.username)
            .limit(at_most)
        )
    )


# A key as the pages show it: never its (encrypted) secret.
KEY_COLUMNS = (
    BankKey.key_id,
    BankKey.bank_code,
    BankKey.status,
    BankKey.created_at,
    BankKey.revoked_at,
)


def bank_keys(db: Session) -> list[Row]:
    """Every bank's HMAC keys, by bank then age."""
    order = (BankKey.bank_code, BankKey.created_at, BankKey.key_id)
    return list(db.execute(select(*KEY_COLUMNS).order_by(*order)))


def bank_key(db: Session, key_id: str) -> Row | None:
    return db.execute(select(*KEY_COLUMNS).where(BankKey.key_id == key_id)).one_or_none()


def policy_versions(db: Session) -> list[Row]:
    """The policy's versions, newest first, without their documents."""
    return list(
        db.execute(
            select(
                PolicyVersion.version,
                PolicyVersion.in_force_from,
                PolicyVersion.created_by,
                PolicyVersion.created_at,
            ).order_by(PolicyVersion.version.desc())
        )
    )


def policy_version(db: Session, version: int) -> PolicyRecord | None:
    """One version as GET /policy shows the newest (its document, number and start)."""
    row = db.get(PolicyVersion, version)
    if row is None:
        return None
    return PolicyRecord(row.version, row.in_force_from, policy_from_doc(row.document))


def appropriations(db: Session) -> list[Row]:
    """Every appropriation (POST /budgets), newest year first."""
    return list(
        db.execute(
            select(
                Budget.id, Budget.year, Budget.amount_fen, Budget.reference, Budget.created_at
            ).order_by(Budget.year.desc(), Budget.id)
        )
    )


def pool_deposits(db: Session, pool_code: str) -> list[Row]:
    """A pool's deposits, newest first."""
    return list(
        db.execute(
            select(
                PoolDeposit.id,
                PoolDeposit.amount_fen,
                PoolDeposit.deposited_on,
                PoolDeposit.reference,
            )
            .where(PoolDeposit.pool_code == pool_code)
            .order_by(PoolDeposit.deposited_on.desc(), PoolDeposit.id.desc())
        )
    )
