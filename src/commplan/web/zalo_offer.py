"""The report page's "Nhận nhắc việc qua Zalo": a signed code per contact of the unit without a Zalo id.

Offered only where the OA's webhook is configured (its secret key set): the contact follows the OA
(`https://zalo.me/<the OA's id>`) and sends the code as a message; the webhook links that Zalo
account to the contact (`intake.zalo_replies`), and the reminders then go by the OA. Each code names
one contact (`links.follow_code`) and ages out after 30 days; the page is the report link's holder's,
who may already act for the unit.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from starlette.requests import Request

from ..links import follow_code
from ..notify.addresses import contact_key
from ..notify.zalo import webhook_of

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def zalo_offer(request: Request, unit_id: str, now: dt.datetime) -> dict | None:
    """{oa_url, codes: [{name, code}]} for the page, or None when there is nothing to offer."""
    state = request.app.state
    hook = webhook_of(state.settings)
    unit = state.catalog.directory.units.get(unit_id)
    if hook is None or unit is None:
        return None
    today = now.astimezone(VN).date()
    codes = [{"name": contact.name or contact.email or contact.phone or "",
              "code": follow_code(state.secret, unit.id, contact_key(contact), issued=today)}
             for contact in unit.contacts if not contact.zalo and (contact.name or contact.email or contact.phone)]
    if not codes:
        return None
    return {"oa_url": hook.oa_url, "codes": codes}
