"""``manage.py grant_role EMAIL ROLE --organisation SLUG``: give a person a role at an
organisation from the console, to bootstrap a fresh installation."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext

from legami.roles import Role
from partners.models import OrganisationKind
from partners.services import role_grant_from_console


class Command(BaseCommand):
    help = (
        "Give the person with EMAIL the ROLE at the organisation --organisation SLUG, "
        "without the access policy: for bootstrapping, by whoever runs the server. Creates "
        "the account if there is none (no password: they set one with 'Forgot your "
        "password?'), and the organisation with --create-organisation NAME --kind KIND. "
        "All or nothing, audited as the system, and safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="The person's e-mail address.")
        parser.add_argument("role", help=f"The role: {', '.join(Role.values)}.")
        parser.add_argument(
            "--organisation",
            required=True,
            metavar="SLUG",
            help="The short name of the organisation (the one in its page's address).",
        )
        parser.add_argument(
            "--referent",
            action="store_true",
            help="Make them a referent of the organisation (they invite its people).",
        )
        parser.add_argument(
            "--create-organisation",
            metavar="NAME",
            help="Create the organisation with this name and SLUG if there is none.",
        )
        parser.add_argument(
            "--kind",
            help=f"The kind of the new organisation: {', '.join(OrganisationKind.values)}.",
        )
        parser.add_argument(
            "--start-date",
            metavar="YYYY-MM-DD",
            help="The first day of the membership (default: today).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        start_date = None
        if options["start_date"]:
            try:
                start_date = dt.date.fromisoformat(options["start_date"])
            except ValueError:
                raise CommandError(
                    gettext("%(date)s is not a date: write it as YYYY-MM-DD.")
                    % {"date": options["start_date"]}
                ) from None
        try:
            grant = role_grant_from_console(
                email=options["email"],
                role=options["role"],
                organisation_slug=options["organisation"],
                is_referent=options["referent"],
                create_organisation_name=options["create_organisation"],
                kind=options["kind"],
                start_date=start_date,
            )
        except ValidationError as exc:
            message = " ".join(exc.messages)
            codes = {e.code for errors in getattr(exc, "error_dict", {}).values() for e in errors}
            if "unknown_organisation" in codes:
                message += " " + gettext(
                    'To create it, add --create-organisation "Name" --kind KIND.'
                )
            raise CommandError(message) from None

        membership = grant.membership
        user = membership.user
        organisation = membership.organisation
        if grant.organisation_created:
            self.stdout.write(
                gettext("Created the organisation %(organisation)s (%(slug)s).")
                % {"organisation": organisation.name, "slug": organisation.slug}
            )
        if grant.user_created:
            self.stdout.write(
                gettext(
                    "Created the account %(email)s with no password: they set one with "
                    '"Forgot your password?" on the login page, or at %(url)s.'
                )
                % {
                    "email": user.email,
                    "url": settings.SITE_URL + reverse("account_reset_password"),
                }
            )
        values = {
            "email": user.email,
            "organisation": organisation.name,
            "role": membership.get_role_display(),
            "date": date_format(membership.start_date),
        }
        if not grant.membership_created:
            self.stdout.write(
                gettext(
                    "%(email)s already acts for %(organisation)s as %(role)s since %(date)s: "
                    "nothing changed."
                )
                % values
            )
        elif membership.is_referent:
            self.stdout.write(
                self.style.SUCCESS(
                    gettext(
                        "%(email)s acts for %(organisation)s as %(role)s, and as its referent, "
                        "from %(date)s."
                    )
                    % values
                )
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    gettext("%(email)s acts for %(organisation)s as %(role)s from %(date)s.")
                    % values
                )
            )
        if not user.is_active:
            self.stdout.write(
                self.style.WARNING(
                    gettext(
                        "The account %(email)s is deactivated: they cannot log in until it "
                        "is reactivated."
                    )
                    % values
                )
            )
