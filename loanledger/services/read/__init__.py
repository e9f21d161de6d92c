"""The read side: one function per question the API and the pages ask, named after the
question, and the views that put an answer in wire form.

A read takes a Session and plain arguments and returns plain data: a table's row as a
read-only `Row` (attribute access by column name, no session behind it), a small dataclass,
a `Page` of either, or a dict ready for JSON (`views`). Reads only SELECT; every change goes
through a use case. Nothing here imports Flask, the API or the pages.
"""

from loanledger.services.read.audit import audit_trail
from loanledger.services.read.batches import (
    LINES_PAGE_SIZE,
    LineFilter,
    NumberedPage,
    batch,
    batch_kinds,
    batch_lines,
    batch_lines_numbered,
    batch_payee,
    batch_payees,
    batch_payees_page,
    batch_reason_codes,
    batches,
    claims,
    line,
    payee_names,
)
from loanledger.services.read.enterprise import (
    EnterpriseLine,
    EnterprisePayment,
    EnterpriseSubsidies,
    can_object,
    enterprise_line,
    enterprise_lines,
    enterprise_loans,
    enterprise_payments,
    enterprise_subsidies,
    granted_by_loan,
)
from loanledger.services.read.imports import import_job
from loanledger.services.read.ledger import (
    AccountEntry,
    AccountTotal,
    TrialBalance,
    account_entries,
    trial_balance,
)
from loanledger.services.read.loans import LOAN_STATUSES, loan, loan_lines, loan_status_is, loans
from loanledger.services.read.objections import (
    ObjectionLine,
    objections,
    objections_page,
    open_objections_by_line,
)
from loanledger.services.read.paging import Page
from loanledger.services.read.periods import (
    MonthTotals,
    batch_summary,
    last_closed_period,
    monthly_totals,
    next_closable_period,
    period_names,
    period_view,
    periods,
)
from loanledger.services.read.registry import (
    budget_years,
    enterprise,
    enterprises,
    enterprises_matching,
    filings,
    lpr_rates,
    products,
)
from loanledger.services.read.statements import (
    control_totals,
    latest_control_totals,
    statement_lines,
)
from loanledger.services.read.views import claim_wire, line_wire, loan_summary, loan_view

__all__ = [
    "LINES_PAGE_SIZE",
    "LOAN_STATUSES",
    "AccountEntry",
    "AccountTotal",
    "EnterpriseLine",
    "EnterprisePayment",
    "EnterpriseSubsidies",
    "LineFilter",
    "MonthTotals",
    "NumberedPage",
    "ObjectionLine",
    "Page",
    "TrialBalance",
    "account_entries",
    "audit_trail",
    "batch",
    "batch_kinds",
    "batch_lines",
    "batch_lines_numbered",
    "batch_payee",
    "batch_payees",
    "batch_payees_page",
    "batch_reason_codes",
    "batch_summary",
    "batches",
    "budget_years",
    "can_object",
    "claim_wire",
    "claims",
    "control_totals",
    "enterprise",
    "enterprise_line",
    "enterprise_lines",
    "enterprise_loans",
    "enterprise_payments",
    "enterprise_subsidies",
    "enterprises",
    "enterprises_matching",
    "filings",
    "granted_by_loan",
    "import_job",
    "last_closed_period",
    "latest_control_totals",
    "line",
    "line_wire",
    "loan",
    "loan_lines",
    "loan_status_is",
    "loan_summary",
    "loan_view",
    "loans",
    "lpr_rates",
    "monthly_totals",
    "next_closable_period",
    "objections",
    "objections_page",
    "open_objections_by_line",
    "payee_names",
    "period_names",
    "period_view",
    "periods",
    "products",
    "statement_lines",
    "trial_balance",
]
