"""Zoho's documented limits and costs, each defined once, with its source.

The manifest rules, the planner, the drivers and the simulator (which models the same
Zoho) all name these. A number here is Zoho's; a budget the runner sets itself (evidence
samples, tries, waits) stays beside the code that spends it.
"""

from __future__ import annotations

# Mass update / mass delete (seeds 000-002; API_NOTES §2)
#: ids per non-scheduler call. Seed 002: "maximum of 500 records in a single API call";
#: API_NOTES §2.1: mass delete by ids, OAS `maxItems=500`.
MASS_IDS_PER_CALL = 500
#: Records of one mass update / delete. Seed 002: "You can update up to 50,000 records
#: using this API"; a scheduled (cvid) job over it: LIMIT_EXCEEDED "maximum allowed limit
#: of 50000"; API_NOTES §2.1 for mass delete.
MASS_MAX_RECORDS = 50_000
#: API_NOTES §2.3: a scheduled (cvid) job over 1,000 records fires no automation rules.
AUTOMATION_MAX_RECORDS = 1_000

# Bulk read (seed 004; API_NOTES §3)
#: Records per export job (a page). Seed 004 `result.per_page`; API_NOTES §3.4.
BULK_READ_PAGE_ROWS = 200_000
#: API_NOTES §3.4: PAGE_RANGE_EXCEEDED; third-party "page ≤ 500" [U].
BULK_READ_MAX_PAGE = 500
#: API_NOTES §3.3: "only 10 download requests per minute", then 429 for that minute.
BULK_READ_DOWNLOADS_PER_WINDOW = 10
BULK_READ_DOWNLOAD_WINDOW = 60.0  # seconds: the minute above
CRITERIA_MAX_CONDITIONS = 25  # API_NOTES §3.1: CRITERIA_LIMIT_EXCEEDED max_limit 25
#: API_NOTES §3.1: VALUE_LIMIT_EXCEEDED_IN_CRITERIA, `details.max_limit` 200.
CRITERIA_MAX_VALUES = 200

# Bulk write (seed 003; API_NOTES §4)
BULK_WRITE_MAX_ROWS = 25_000  # API_NOTES §4.2: ≤ 25,000 records per CSV
BULK_WRITE_MAX_ZIP_BYTES = 25 * 1024 * 1024  # API_NOTES §4.1: FILE_TOO_LARGE above 25 MB
#: API_NOTES §4.2: ≤ 200 column headers; HEADER_LIMIT_EXCEEDED "maximum limit of 200" (§4.3).
BULK_WRITE_MAX_COLUMNS = 200
#: API_NOTES §4.3: field mappings, HEADER_LIMIT_EXCEEDED "maximum limit of 200".
BULK_WRITE_MAX_MAPPINGS = 200

# Reading records back (API_NOTES §13)
RECORDS_PER_PAGE = 200  # `per_page` 1-200, default 200, on /deleted too
PAGE_REACH = 2_000  # `page` reaches only the first 2,000 records; past them, page_token
PAGE_TOKEN_REACH = 100_000  # paging with page_token stops here: PAGINATION_LIMIT_EXCEEDED
#: GET records by `ids`: no maximum is documented (§13) [U]; 100 a call, as OAS-Y's
#: `data` maxItems.
GET_IDS_PER_CALL = 100
#: `fields` is required, at most 50 names: REQUIRED_PARAM_MISSING without it, LIMIT_EXCEEDED
#: `{limit: 50, param_name: "fields"}` over it (§13).
GET_MAX_FIELDS = 50
#: §13: `territory_id` filters Get Records for these modules only; others: INVALID_MODULE.
TERRITORY_MODULES = frozenset({"Deals", "Contacts", "Accounts"})

# Credits (API_NOTES §5.4 [S])
CREDITS_BULK_READ_INIT = 50
CREDITS_BULK_WRITE_INIT = 500
CREDITS_CALL = 1  # most other calls
CREDITS_GET_RECORDS_CVID = 3  # get records with cvid
