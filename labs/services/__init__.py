"""Every change to labs: signing up with the waiting list and the mails
(``registration``); labs, meetings, attendance and minutes (``meetings``); the needs
board and interventions (``needs``). The names of ``registration`` are re-exported
here."""

from labs.services.registration import (
    CODE_ALPHABET,
    CODE_LENGTH,
    SIGNING_NAMESPACE,
    confirmation_deadline,
    meeting_set_capacity,
    registration_cancel,
    registration_confirm,
    registration_create,
    registration_from_token,
    registration_mail_send,
    registration_token,
    registrations_expire,
    reminders_due,
)

__all__ = [
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "SIGNING_NAMESPACE",
    "confirmation_deadline",
    "meeting_set_capacity",
    "registration_cancel",
    "registration_confirm",
    "registration_create",
    "registration_from_token",
    "registration_mail_send",
    "registration_token",
    "registrations_expire",
    "reminders_due",
]
