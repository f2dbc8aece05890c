"""Italian date formats as Italian offices write them: "1 gennaio 2025", months lower-case.

Django's own Italian formats capitalise the month ("01 Gennaio 2025"); ``E`` is the
locale's alternative (genitive) month name, lower-case in Italian.
"""

DATE_FORMAT = "j E Y"
DATETIME_FORMAT = "j E Y, H:i"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
MONTH_DAY_FORMAT = "j E"

# The month names that ``E`` prints come from Django's catalogue ("alt. month" context),
# which capitalises them in Italian. They are marked here so that Legami's own catalogue,
# which takes precedence, can give them in lower case.
if False:  # pragma: no cover - only for makemessages
    from django.utils.translation import pgettext_lazy

    ALT_MONTHS = [
        pgettext_lazy("alt. month", "January"),
        pgettext_lazy("alt. month", "February"),
        pgettext_lazy("alt. month", "March"),
        pgettext_lazy("alt. month", "April"),
        pgettext_lazy("alt. month", "May"),
        pgettext_lazy("alt. month", "June"),
        pgettext_lazy("alt. month", "July"),
        pgettext_lazy("alt. month", "August"),
        pgettext_lazy("alt. month", "September"),
        pgettext_lazy("alt. month", "October"),
        pgettext_lazy("alt. month", "November"),
        pgettext_lazy("alt. month", "December"),
    ]
