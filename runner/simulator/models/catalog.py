"""The demo org's modules and fields, exactly as docs/DEMO_ORG.md lists them."""

from __future__ import annotations

from runner.simulator.models.schema import ModuleDef, SimField

LEAD_SOURCE = ("-None-", "Advertisement", "Cold Call", "Web Download")
LEAD_STATUS = ("-None-", "Not Contacted", "Contacted", "Junk Lead", "Qualified")
STAGE = (
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
)
INDUSTRY = ("-None-", "Education", "Government", "Manufacturing", "Technology", "Retail")
CASE_STATUS = ("New", "On Hold", "Escalated", "Closed")
PRIORITY = ("High", "Normal", "Low")
LANGUAGES = ("English", "Spanish", "French", "German")

# seed 002 module lists; DEMO_ORG module numbers.
LINE_ITEM_MODULES = {"Quotes", "Sales_Orders", "Purchase_Orders", "Invoices"}


def _f(api_name: str, data_type: str, **kw: object) -> tuple[str, str, dict[str, object]]:
    return api_name, data_type, kw


# (k, api name, name field, blueprint field, specific fields) — DEMO_ORG tables.
_SPECS: list[tuple[int, str, str, str | None, list[tuple[str, str, dict[str, object]]]]] = [
    (
        1,
        "Leads",
        "Last_Name",
        "Lead_Status",
        [
            _f("Last_Name", "text", mandatory=True),
            _f("First_Name", "text"),
            _f("Company", "text"),
            _f("Email", "email", unique=True),
            _f("Phone", "phone"),
            _f("Lead_Source", "picklist", picklist=LEAD_SOURCE),
            _f("Lead_Status", "picklist", picklist=LEAD_STATUS),
            _f("City", "text"),
            _f("Annual_Revenue", "currency"),
            _f("No_of_Employees", "integer"),
            _f("Email_Opt_Out", "boolean"),
            _f("Description", "textarea"),
        ],
    ),
    (
        2,
        "Accounts",
        "Account_Name",
        None,
        [
            _f("Account_Name", "text", mandatory=True),
            _f("Industry", "picklist", picklist=INDUSTRY),
            _f("Phone", "phone"),
            _f("Website", "website"),
            _f("Employees", "integer"),
            _f("Description", "textarea"),
            _f("Parent_Account", "lookup", lookup_module="Accounts"),
        ],
    ),
    (
        3,
        "Contacts",
        "Last_Name",
        None,
        [
            _f("Last_Name", "text", mandatory=True),
            _f("First_Name", "text"),
            _f("Email", "email", unique=True),
            _f("Phone", "phone"),
            _f("Lead_Source", "picklist", picklist=LEAD_SOURCE),
            _f("Mailing_City", "text"),
            _f("Date_of_Birth", "date"),
            _f("Account_Name", "lookup", lookup_module="Accounts"),
            _f("Description", "textarea"),
        ],
    ),
    (
        4,
        "Deals",
        "Deal_Name",
        "Stage",
        [
            _f("Deal_Name", "text", mandatory=True),
            _f("Stage", "picklist", picklist=STAGE, mandatory=True),
            _f("Amount", "currency"),
            _f("Description", "textarea"),
            _f("Lead_Source", "picklist", picklist=LEAD_SOURCE),
            _f("Type", "picklist", picklist=("-None-", "Existing Business", "New Business")),
            _f("Languages_Known", "multiselectpicklist", picklist=LANGUAGES, custom=True),
            _f("Account_Name", "lookup", lookup_module="Accounts"),
            _f("Closing_Date", "date"),
        ],
    ),
    (
        5,
        "Campaigns",
        "Campaign_Name",
        None,
        [
            _f("Campaign_Name", "text", mandatory=True),
            _f("Status", "picklist", picklist=("Planning", "Active", "Inactive", "Complete")),
            _f("Budgeted_Cost", "currency"),
            _f("Start_Date", "date"),
        ],
    ),
    (
        6,
        "Tasks",
        "Subject",
        None,
        [
            _f("Subject", "text", mandatory=True),
            _f("Priority", "picklist", picklist=PRIORITY),
            _f("Due_Date", "date"),
            _f("Send_Notification_Email", "boolean"),
        ],
    ),
    (
        7,
        "Calls",
        "Subject",
        None,
        [
            _f("Subject", "text", mandatory=True),
            _f("Call_Type", "picklist", picklist=("Outbound", "Inbound", "Missed")),
            _f("Call_Start_Time", "datetime"),
            _f("Call_Duration_in_seconds", "integer"),
        ],
    ),
    (
        8,
        "Meetings",
        "Event_Title",
        None,
        [
            _f("Event_Title", "text", mandatory=True),
            _f("Start_DateTime", "datetime"),
            _f("End_DateTime", "datetime"),
            _f("Venue", "text"),
        ],
    ),
    (
        9,
        "Solutions",
        "Solution_Title",
        None,
        [
            _f("Solution_Title", "text", mandatory=True),
            _f("Status", "picklist", picklist=("Draft", "Reviewed", "Published")),
            _f("Question", "textarea"),
        ],
    ),
    (
        10,
        "Products",
        "Product_Name",
        None,
        [
            _f("Product_Name", "text", mandatory=True),
            _f("Product_Category", "picklist", picklist=("-None-", "Hardware", "Software")),
            _f("Unit_Price", "currency"),
            _f("Qty_in_Stock", "integer"),
            _f("Product_Active", "boolean"),
        ],
    ),
    (
        11,
        "Vendors",
        "Vendor_Name",
        None,
        [
            _f("Vendor_Name", "text", mandatory=True),
            _f("Email", "email"),
            _f("Phone", "phone"),
            _f("Website", "website"),
        ],
    ),
    (
        12,
        "Price_Books",
        "Price_Book_Name",
        None,
        [
            _f("Price_Book_Name", "text", mandatory=True),
            _f("Active", "boolean"),
            _f("Pricing_Model", "picklist", picklist=("Flat", "Differential")),
        ],
    ),
    (
        13,
        "Quotes",
        "Subject",
        None,
        [
            _f("Subject", "text", mandatory=True),
            _f("Quote_Stage", "picklist", picklist=("Draft", "Negotiation", "Delivered")),
            _f("Valid_Till", "date"),
            _f("Grand_Total", "currency", read_only=True),
            _f("Account_Name", "lookup", lookup_module="Accounts"),
            _f("Product_Details", "subform"),
        ],
    ),
    (
        14,
        "Sales_Orders",
        "Subject",
        None,
        [
            _f("Subject", "text", mandatory=True),
            _f("Status", "picklist", picklist=("Created", "Approved", "Delivered", "Cancelled")),
            _f("Due_Date", "date"),
            _f("Account_Name", "lookup", lookup_module="Accounts"),
            _f("Product_Details", "subform"),
        ],
    ),
    (
        15,
        "Purchase_Orders",
        "Subject",
        None,
        [
            _f("Subject", "text", mandatory=True),
            _f("Status", "picklist", picklist=("Created", "Approved", "Delivered", "Cancelled")),
            _f("PO_Date", "date"),
            _f("Vendor_Name", "lookup", lookup_module="Vendors"),
            _f("Product_Details", "subform"),
        ],
    ),
    (
        16,
        "Invoices",
        "Subject",
        None,
        [
            _f("Subject", "text", mandatory=True),
            _f("Status", "picklist", picklist=("Created", "Approved", "Delivered", "Cancelled")),
            _f("Invoice_Date", "date"),
            _f("Account_Name", "lookup", lookup_module="Accounts"),
            _f("Invoiced_Items", "subform"),
        ],
    ),
    (
        17,
        "Cases",
        "Subject",
        "Status",
        [
            _f("Subject", "text", mandatory=True),
            _f("Status", "picklist", picklist=CASE_STATUS),
            _f("Priority", "picklist", picklist=PRIORITY),
            _f("Email", "email"),
            _f("Description", "textarea"),
        ],
    ),
    (
        18,
        "Shipments",
        "Name",
        None,
        [
            _f("Name", "text", mandatory=True),
            _f("Carrier", "picklist", picklist=("-None-", "DHL", "FedEx", "UPS")),
            _f("Weight_kg", "integer", custom=True),
            _f("Shipped_On", "date", custom=True),
            _f("Delivered", "boolean", custom=True),
        ],
    ),
]

# DEMO_ORG: "Every module has Owner (ownerlookup), Created_Time / Modified_Time (datetime,
# read only), Layout (layout)".
_COMMON = [
    _f("Owner", "ownerlookup"),
    _f("Created_Time", "datetime", read_only=True),
    _f("Modified_Time", "datetime", read_only=True),
    _f("Layout", "layout"),
]


def _module(
    k: int,
    name: str,
    name_field: str,
    blueprint: str | None,
    specs: list[tuple[str, str, dict[str, object]]],
) -> ModuleDef:
    fields = tuple(
        SimField(api_name, data_type, seq=i + 1, **kw)  # type: ignore[arg-type]
        for i, (api_name, data_type, kw) in enumerate([*specs, *_COMMON])
    )
    return ModuleDef(
        k=k,
        api_name=name,
        name_field=name_field,
        fields=fields,
        custom=name == "Shipments",
        blueprint_field=blueprint,
    )


MODULES: tuple[ModuleDef, ...] = tuple(_module(*spec) for spec in _SPECS)

# seed 000/002 "INVALID_MODULE ... The given module is not supported in API".
UNSUPPORTED_IN_API = frozenset({"documents", "projects"})
# seed 002 "Supported modules" (Activities = Tasks, Calls, Meetings); Cases is not listed.
MASS_UPDATE_MODULES = frozenset(m.api_name for m in MODULES) - {"Cases"}
# seed 001 / API_NOTES §2.1: every module here, Cases included.
MASS_DELETE_MODULES = frozenset(m.api_name for m in MODULES)
