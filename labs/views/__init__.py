"""Pages of the labs app, one module per audience, each with its ``urlpatterns``
(joined in ``labs/urls.py``):

- ``registration``: the links of the registration mails (confirm a guest's address,
  cancel a registration), reached with a signed token;
- ``public``: what everybody sees and does: the upcoming meetings, a lab's page, a
  meeting's page with the sign-up form, the calendar files, and a person's own
  registrations.
"""
