"""What an obligation's kind (what is owed) and channel (where it is published) are called where people
read them: the dashboard's filter and rows, the compliance report. One table, one translation."""

from __future__ import annotations

from ..i18n import N_, Labels

KINDS = Labels({"publish": N_("publishing"), "broadcast": N_("broadcasting"), "meeting": N_("meeting"),
                "report": N_("report"), "plan": N_("plan"), "deliverable": N_("deliverable")})
CHANNELS = Labels({"portal": N_("web portal"), "newspaper": N_("newspaper"), "television": N_("television"),
                   "radio": N_("radio"), "grassroots-radio": N_("grassroots loudspeakers"),
                   "social": N_("social networks"), "print": N_("printed material"), "conference": N_("conference"),
                   "email": N_("email"), "other": N_("other channel")})
