"""Privacy views, one module per area.

`policy` (the public privacy policy), `centre` (the customer's privacy centre: consents,
export, erasure), `requests` (data-subject requests by customers, visitors and agents),
`cookies` (the cookie banner and settings), `staff` (audited staff access). `privacy.urls`
routes to each module's views by name; nothing is re-exported here, so `privacy.views.centre`
and `privacy.views.policy` stay the modules, not the views of the same name.
"""
