"""The fundraising tests read the interface in English (Italian is the default and has its
own tests in tests/legami/test_i18n.py): pages and messages are asserted in English."""

from tests.fixtures import eager_tasks, english, make_user  # noqa: F401  (fixtures, by name)
