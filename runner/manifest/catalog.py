"""What Zoho documents about modules and standard fields, as data the rules read.

Module names are API names (underscores: Price_Books, Sales_Orders); the seed pages
write labels ("Price Books"), which map one to one.
"""

from __future__ import annotations

from collections.abc import Mapping

# seed 002 / seed 000 "Supported modules": mass update lists Activities, not its parts
MASS_UPDATE_MODULES = frozenset(
    {
        "Leads", "Accounts", "Contacts", "Deals", "Campaigns", "Activities", "Solutions",
        "Products", "Vendors", "Price_Books", "Quotes", "Sales_Orders", "Purchase_Orders",
        "Invoices",
    }
)  # fmt: skip

# seed 001 lists Tasks, Calls, Meetings (not Activities); API_NOTES §2.1 adds Cases,
# Meetings(Events), Services and Appointments for v7/v8
MASS_DELETE_MODULES = frozenset(
    {
        "Leads", "Accounts", "Contacts", "Deals", "Campaigns", "Tasks", "Calls", "Meetings",
        "Events", "Solutions", "Products", "Vendors", "Price_Books", "Quotes", "Sales_Orders",
        "Purchase_Orders", "Invoices", "Cases", "Services", "Appointments",
    }
)  # fmt: skip

# seed 004 "Possible module names" (events = Meetings in newer orgs; API_NOTES §3.1);
# not Notes, Attachments, Emails (API_NOTES §3.4)
BULK_READ_MODULES = frozenset(
    {
        "Leads", "Accounts", "Contacts", "Deals", "Campaigns", "Tasks", "Cases", "Events",
        "Meetings", "Calls", "Solutions", "Products", "Vendors", "Price_Books", "Quotes",
        "Sales_Orders", "Purchase_Orders", "Invoices",
    }
)  # fmt: skip

# API_NOTES §4.2 [S]: not Notes, Attachments, Events, Calls; the rest of the standard set
BULK_WRITE_MODULES = frozenset(
    {
        "Leads", "Accounts", "Contacts", "Deals", "Campaigns", "Tasks", "Cases", "Solutions",
        "Products", "Vendors", "Price_Books", "Quotes", "Sales_Orders", "Purchase_Orders",
        "Invoices",
    }
)  # fmt: skip

MODULES_BY_KIND: Mapping[str, frozenset[str]] = {
    "mass_update": MASS_UPDATE_MODULES,
    "mass_delete": MASS_DELETE_MODULES,
    "bulk_read": BULK_READ_MODULES,
    "bulk_write": BULK_WRITE_MODULES,
}
SOURCES = {
    "mass_update": "seed 002",
    "mass_delete": "seed 001, API_NOTES §2.1",
    "bulk_read": "seed 004",
    "bulk_write": "API_NOTES §4.2",
}

# seed 000 / seed 001: INVALID_MODULE "The modules such as Documents and Projects are
# not supported in the current API"
UNSUPPORTED_MODULES = frozenset({"Documents", "Projects"})
UNSUPPORTED_MESSAGE = "modules such as Documents and Projects are not supported in the API"

STANDARD_MODULES = (
    MASS_UPDATE_MODULES
    | MASS_DELETE_MODULES
    | BULK_READ_MODULES
    | BULK_WRITE_MODULES
    | UNSUPPORTED_MODULES
    | {"Notes", "Attachments", "Emails", "Visits", "Users", "Forecasts", "Goals"}
)

ICS_MODULES = frozenset({"Events", "Meetings"})  # API_NOTES §3.1: ICS only Events/Meetings

# Fields mass update refuses (seed 002 INVALID_DATA "This field cannot be updated in the
# Mass Update"): Email-type, lookups, layout, multi-line, line items, system fields.
# Known standard fields only; online checks use field metadata. Modules None = every
# module (including custom ones).
_EVERY = None
NOT_MASS_UPDATABLE: Mapping[str, tuple[str, frozenset[str] | None]] = {
    "Email": ("an email field", _EVERY),
    "Secondary_Email": ("an email field", _EVERY),
    "Owner": ("a lookup (owner) field", _EVERY),
    "Layout": ("the layout field", _EVERY),
    "Description": ("a multi-line field", _EVERY),
    "Created_By": ("a read-only system field", _EVERY),
    "Modified_By": ("a read-only system field", _EVERY),
    "Created_Time": ("a read-only system field", _EVERY),
    "Modified_Time": ("a read-only system field", _EVERY),
    "id": ("the record id", _EVERY),
    "Account_Name": (
        "a lookup field",
        frozenset({"Deals", "Contacts", "Quotes", "Sales_Orders", "Invoices", "Cases"}),
    ),
    "Contact_Name": (
        "a lookup field",
        frozenset({"Deals", "Quotes", "Sales_Orders", "Purchase_Orders", "Invoices", "Cases"}),
    ),
    "Deal_Name": ("a lookup field", frozenset({"Quotes", "Sales_Orders", "Cases"})),
    "Vendor_Name": ("a lookup field", frozenset({"Products", "Purchase_Orders"})),
    "Parent_Account": ("a lookup field", frozenset({"Accounts"})),
    "Reporting_To": ("a lookup field", frozenset({"Contacts"})),
    "Campaign_Source": ("a lookup field", frozenset({"Deals"})),
    "Product_Name": ("a lookup field", frozenset({"Cases"})),
    "Terms_and_Conditions": (
        "a multi-line field",
        frozenset({"Quotes", "Sales_Orders", "Purchase_Orders", "Invoices"}),
    ),
    "Solution_Details": ("a multi-line field", frozenset({"Solutions"})),
    "Internal_Comments": ("a multi-line field", frozenset({"Cases"})),
    "Product_Details": ("a line-item (subform) field", _EVERY),
    "Invoiced_Items": ("a line-item (subform) field", _EVERY),
    "Quoted_Items": ("a line-item (subform) field", _EVERY),
    "Ordered_Items": ("a line-item (subform) field", _EVERY),
    "Purchase_Items": ("a line-item (subform) field", _EVERY),
}

# Multi-select picklists known offline: seed 002's sample (Deals.Languages_Known, a
# custom field of the demo org in docs/DEMO_ORG.md).
MULTI_SELECT_FIELDS: Mapping[str, frozenset[str]] = {"Deals": frozenset({"Languages_Known"})}


def not_mass_updatable(module: str, field_name: str) -> str | None:
    """Why mass update refuses this field in this module, or None when not known to."""
    entry = NOT_MASS_UPDATABLE.get(field_name)
    if entry is None:
        return None
    what, modules = entry
    return what if modules is None or module in modules else None


# The field that names a record, per standard module: the one a plan lists beside a
# record it will delete. Leads and Contacts show Full_Name in the web UI, a formula over
# First_Name and Last_Name; Last_Name is the mandatory part every org has. Custom modules
# name records by `Name`. (Zoho's standard layouts; docs/DEMO_ORG.md holds the same.)
NAME_FIELDS: Mapping[str, str] = {
    "Leads": "Last_Name", "Contacts": "Last_Name", "Accounts": "Account_Name",
    "Deals": "Deal_Name", "Campaigns": "Campaign_Name", "Tasks": "Subject", "Calls": "Subject",
    "Meetings": "Event_Title", "Events": "Event_Title", "Solutions": "Solution_Title",
    "Products": "Product_Name", "Vendors": "Vendor_Name", "Price_Books": "Price_Book_Name",
    "Quotes": "Subject", "Sales_Orders": "Subject", "Purchase_Orders": "Subject",
    "Invoices": "Subject", "Cases": "Subject", "Services": "Service_Name",
    "Appointments": "Appointment_Name",
}  # fmt: skip
CUSTOM_NAME_FIELD = "Name"


def name_field(module: str) -> str:
    """The field that names a record of `module` (`Name` in a custom module)."""
    return NAME_FIELDS.get(module, CUSTOM_NAME_FIELD)
