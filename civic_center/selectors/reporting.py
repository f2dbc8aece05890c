"""Piano di zona reports (read by ``reports.indicators``): the records of a report's
scope (an ambito, or one comune of it) for the indicators to aggregate, re-exported by
``civic_center.selectors``; ``reports`` reads no model of this app, only these.

A family served belongs where its demand is: the demand's ``Demand.comune``, and that
comune's ambito. An agreement member (a family in a group agreement) follows its
demand, whichever comuni the agreement's other families live in.
"""

from __future__ import annotations

from django.db.models import QuerySet

from civic_center.models import AgreementMember

# The enums the indicators filter and key their figures by, re-exported.
from civic_center.models import AgreementStatus as AgreementStatus
from civic_center.models import MemberStatus as MemberStatus
from civic_center.models import Unit as Unit


def report_agreement_members(
    *, ambito_id: int, comune_id: int | None = None
) -> QuerySet[AgreementMember]:
    """The members of group agreements (every status, of agreements of every status)
    whose demand is in a report's scope: in a comune of the ambito and, with a
    ``comune_id``, in that comune."""
    members = AgreementMember.objects.filter(demand__comune__ambito_id=ambito_id)
    if comune_id is not None:
        members = members.filter(demand__comune_id=comune_id)
    return members
