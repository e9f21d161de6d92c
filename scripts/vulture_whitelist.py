# ruff: noqa
"""What vulture reports as unused but is used, by name, by a framework or a file it does not read.

    vulture loanledger bench scripts --min-confidence 60

reports nothing with this file among its inputs (scripts/ holds it); tests/unit/test_dead_code.py
runs the same scan. The entries began as `vulture --make-whitelist` output, grouped below with
why each group is used. Vulture matches by name only: an entry covers every definition of the
name. A new finding is either dead (delete it) or used by a convention: add it to its group.
"""

# ---------------------------------------------------------------- flask-smorest: resources
# MethodView classes are registered by `@blp.route(...)`; flask dispatches to their
# get/post/patch/delete methods by the HTTP method's name.
BusinessDateResource  # loanledger/api/resources/admin.py
Calendar
SignOutEverywhere
AuditTrail  # loanledger/api/resources/audit.py
MySubsidies
MyNotices
MyNoticeRead
Tokens  # loanledger/api/resources/auth.py
CurrentToken
Imports  # loanledger/api/resources/imports.py
ImportItem
ImportErrors
ImportTemplate
Loans  # loanledger/api/resources/loans.py
BankLoan
LoanEvents
StaffLoan
LoanFiling
EventsBulk
LoansBulk
Objections  # loanledger/api/resources/objections.py
OneObjection
ResolveObjection
ClosePeriod  # loanledger/api/resources/periods.py
Periods
OnePeriod
Batches
OneBatch
SubmitBatch
ApproveBatch
RejectBatch
BatchPayments
PaymentFileXlsx
PaymentFileCsv
PaymentResults
BatchLines
BatchPayees
OneLine
Claims
TrialBalance
AccountEntries
Reconciliation  # loanledger/api/resources/reconciliation.py
ReconciliationCsv
ReconciliationXlsx
Products  # loanledger/api/resources/reference.py
Enterprises
EnterpriseResource
Blacklist
BlacklistLift
Filings
FilingResource
FilingRevoke
FilingComplete
PolicyResource
Lpr
Budgets
Pool
PoolDeposits
RiskPools  # loanledger/api/resources/pools.py
RiskPoolResource
Settlements
ControlTotals  # loanledger/api/resources/statements.py
Statement
EnterpriseLists  # loanledger/api/resources/lists.py
EnterpriseListResource
Members
Member
ProgrammeReport  # loanledger/api/resources/reports.py
ProgrammeReportXlsx
ForecastResource  # loanledger/api/resources/forecast.py
WhatIfResource
Publicity  # loanledger/api/resources/public.py
PublicityOne
PublicityXlsx
_.patch  # MethodView.patch: loans.py BankLoan, reference.py EnterpriseResource

# ---------------------------------------------------------------- flask-smorest / apispec: the OpenAPI document
_.operation_helper  # apispec BasePlugin hook (loanledger/api/openapi.py)
_.DEFAULT_ERROR_RESPONSE_NAME  # read by flask-smorest when it documents responses (openapi.py)
_.ARGUMENTS_PARSER  # read by flask-smorest's @arguments (api/__init__.py sets the strict one)
_._raw_load_json  # webargs' FlaskParser hook for the JSON body (api/parsing.py)

# ---------------------------------------------------------------- marshmallow
# Schema fields are class attributes that the schema's metaclass collects: they are loaded
# and dumped by name, never read as attributes.
covered_years  # loanledger/api/resources/admin.py CalendarOut
how  # loanledger/api/resources/public.py PublicObjectionOut
publicity_starts_on  # public.py PublicityOut
tokens_revoked  # admin.py SignedOut
shortfall  # loanledger/api/resources/pools.py PoolSchema
since  # loanledger/api/resources/audit.py AuditQuery
audit_id  # audit.py AuditOut
duplicate_of  # loanledger/api/resources/imports.py
annual_rate  # loanledger/api/resources/loans.py, loanledger/wire/schemas.py
eligibility  # loans.py
subsidy_granted  # loans.py
bank_name  # loanledger/api/resources/reference.py AccountSchema
eligible_investment  # reference.py FilingSchema
subsidy_totals  # reference.py EnterpriseDetailSchema
annual_cap_per_enterprise  # reference.py PolicySchema
claim_cap_per_loan
lpr_1y  # reference.py LprSchema
lpr_5y
budget_id  # reference.py BudgetSchema
approved_unpaid  # reference.py BudgetYearSchema
left
deposit_id  # reference.py DepositSchema
available  # reference.py PoolSchema
capacity
interest_total  # loanledger/api/resources/statements.py
matches
carried_out
bank_payee
period_status
control_total
penalty_interest  # loanledger/wire/schemas.py
compound_interest
members_on_business_date  # loanledger/api/resources/lists.py EnterpriseListDetailSchema
# loanledger/api/resources/reports.py: from_ and to (as below), its figures
planned_investment
contract_principal
subsidy_owed
subsidy_paid
compensation_owed
compensation_paid
from_  # loanledger/api/resources/forecast.py WhatIfSchema (data_key "from"), reports.py too
to  # forecast.py WhatIfSchema, reports.py ProgrammeQuery
by_month_and_bank  # forecast.py WhatIfSchema
# `class Meta: unknown = RAISE | INCLUDE` (api/errors.py, resources/audit.py, periods.py,
# reference.py, wire/fields.py)
unknown
# Hooks and overrides marshmallow calls: @pre_load, Field._serialize, Schema.dump(obj, many=)
_._refuse_nul  # loanledger/wire/fields.py
_._serialize
_.dump
many

# ---------------------------------------------------------------- Flask
# Views, error handlers, before_request and context processors are registered by their
# decorators; flask calls them.
_http_error  # loanledger/api/errors.py @app.errorhandler
_unexpected  # api/errors.py, loanledger/web/errors.py @app.errorhandler
_http  # web/errors.py @app.errorhandler
swagger_ui_static  # loanledger/app.py @app.get
healthz  # loanledger/observability/endpoints.py
readyz
prometheus_metrics
_check_csrf  # loanledger/web/__init__.py @web.before_request
logout  # loanledger/web/auth.py
set_language
_inject_user  # web/auth.py @web.app_context_processor
dashboard  # loanledger/web/dashboard.py
close_job_page
imports_page
batch_page
submit_batch
approve_batch
reject_batch
line_page
payments_page
payment_file_xlsx
payment_file_csv
upload_payment_results
voucher
objections_page
resolve_objection
reconciliation_page
what_if_page
what_if_post
portal  # loanledger/web/portal.py
portal_loan
portal_line
read_notice
enterprises_page  # loanledger/web/registry.py
enterprise_page
filing_page
loan_page
loans_page
filings_page
audit_page  # loanledger/web/audit.py
audit_csv
lists_page  # loanledger/web/lists.py
create_list
list_page
put_member
import_list_file
report_page  # loanledger/web/reports.py
report_xlsx
publicity_page  # loanledger/web/public.py
publicity_batch_page
admin_home  # loanledger/web/admin_people.py
admin_users
admin_create_user
admin_deactivate_user
admin_reactivate_user
admin_update_user
admin_reset_password
admin_sign_out_user
admin_banks
admin_create_bank
admin_rotate_key
admin_issued_key
admin_confirm_revoke
admin_revoke_key
admin_policy  # loanledger/web/admin_policy.py
admin_policy_version
admin_policy_edit
admin_policy_preview
admin_policy_save
admin_budgets  # loanledger/web/admin_settings.py
admin_add_budget
admin_pools
admin_create_pool
admin_add_deposit
admin_calendar
admin_add_calendar_day
admin_remove_calendar_day
admin_business_date
admin_set_business_date
bank_home  # loanledger/web/bank.py
bank_loans
bank_loan
bank_imports
bank_upload
bank_import
bank_import_errors
bank_template
_limit  # loanledger/api/resources/public.py @blp.before_request
# DefaultJSONProvider reads its class attributes (app.py StrictJSONProvider)
ensure_ascii
sort_keys
# Attributes flask reads: session.permanent (web/auth.py); g.request_started and
# g.language_from_header, g.listing_endpoint, read back with g.get("...") (observability/logs.py,
# web/i18n.py, web/listing.py)
_.permanent
_.request_started
_.language_from_header
_.listing_endpoint

# ---------------------------------------------------------------- Jinja: names the templates use
_.is_staff  # web/auth.py: base.html `user.is_staff`
width  # loanledger/web/chart.py Chart: bureau/dashboard.html `chart.width` …
height
left
account_changed  # loanledger/services/read/batches.py PayeeShown: bureau/batch.html
legend  # loanledger/web/report_chart.py ReportChart: bureau/report.html `chart.legend`
in_progress  # loanledger/services/read/imports.py BankHome: bank/home.html `home.in_progress`
batch_kind  # loanledger/services/read/todo.py TodoItem: bureau/dashboard.html `item.batch_kind`
identifier  # loanledger/web/audit_fields.py Part: bureau/audit.html `p.identifier`
hidden  # loanledger/web/uploads.py RowErrors: _macros.html row_errors `errors.hidden`

# ---------------------------------------------------------------- click and gunicorn
# Commands are registered by @main.command / @user.command / @bank.command; click reads
# ClickException.exit_code and calls show(); gunicorn calls BaseApplication.load_config.
init  # loanledger/cli.py
serve
user_create
bank_create
bank_rotate_key
bank_revoke_key
worker  # cli.py the command; also the column import_jobs.worker (tables.py), kept for operations
exit_code
_.show
_.load_config

# ---------------------------------------------------------------- SQLAlchemy
# Event listeners registered by @event.listens_for; the sqlite3 connection's isolation_level
# (persistence/db.py); DeclarativeBase.type_annotation_map (persistence/tables.py).
_on_connect
_on_begin
_.isolation_level
type_annotation_map
# Mapped columns: part of the schema (migrations/), written by the services or filled by a
# default, kept for the record (who closed, who recorded a payment, when a key was revoked).
updated_at  # loanledger/persistence/tables.py
token_hash
revoked_at  # tables.py; set in services/identity.py
name_zh
registered_on
closed_by  # tables.py; set in services/close.py
recorded_by  # tables.py; set in services/payouts.py
recorded_at
last_error  # tables.py OutboxMessage; set in services/mailer.py by keyword
sent_at
error_code  # tables.py CloseJob; set in services/close_jobs.py, read by bureau/close_job.html

# ---------------------------------------------------------------- aiosmtpd
handle_DATA  # scripts/mail_sink.py, tests/support/mail.py: the SMTP server calls it by name

# ---------------------------------------------------------------- openpyxl
# Cell, column and sheet attributes that openpyxl writes into the .xlsx
# (services/reconciliation.py, services/spreadsheets.py).
_.font
_.fill
_.alignment
_.width
_.freeze_panes
_.print_title_rows  # services/publicity_sheet.py: the header row on every printed page
_.orientation
_.fitToWidth

# ---------------------------------------------------------------- enums
# StrEnum members, used by iteration: words(RepaymentMethod), in_list(..., InterestSettlement)
# (domain/vocabulary.py; wire/schemas.py, persistence/tables.py).
BULLET
EQUAL_INSTALLMENT
EQUAL_PRINCIPAL
INTEREST_ONLY
MONTHLY
QUARTERLY
NOT_COVERED_ELIGIBILITY
ANY

# ---------------------------------------------------------------- interface signatures
column_kind_  # services/spreadsheets.py _Reader.value(column_kind_, raw): abstract; subclasses use it

# ---------------------------------------------------------------- babel (scripts/translations.py)
_.previous_id  # Message.previous_id, written into the .po files

# ---------------------------------------------------------------- public API of the bank client
_.upload_import  # loanledger/client.py BankClient: docs/bank-integration.md, tests/integration
_.import_file

# ---------------------------------------------------------------- used by bench/ (outside loanledger/)
EVENT_COPY_COLUMNS  # services/bulk.py: bench/ingest.py writes its COPY rows in this order

# ---------------------------------------------------------------- called only from tests
# Not used by the application, but each is called by tests (most also named in docs/); kept.
allocate_annual_cap  # domain/caps.py (the close uses allocate_annual_cap_by_record)
prev_period  # domain/dates.py
balance_on  # domain/timeline.py (alias of value_on)
lpr_lookup  # domain/timeline.py
clear_integrity  # observability/health.py: resets the cached integrity check between tests
current_revision  # persistence/migrate.py
policy_versions  # services/registry.py
filing_status  # services/registry.py
