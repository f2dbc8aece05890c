"""Permissions of the API that hold for every endpoint (``DEFAULT_PERMISSION_CLASSES``)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import Model
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from legami.policy import Action, allowed
from legami.security import SECOND_FACTOR_API_MESSAGE, second_factor_missing


class SecondFactorEnabled(BasePermission):
    """Refuse (403) a person whose role requires a second factor until they have set one up.

    Applies to every way of authenticating, API tokens included: the middleware that sends
    such a person to the set-up page sees only browser sessions.
    """

    message = SECOND_FACTOR_API_MESSAGE
    code = "mfa_required"

    def has_permission(self, request: Request, view: Any) -> bool:
        return not second_factor_missing(request.user)


class PolicyPermission(BasePermission):
    """Ask the access policy (``legami.policy``) whether the request may go on.

    The viewset names its resource (``policy_resource``, e.g. ``"partners.membership"``);
    the policy action comes from the viewset action: list → list, retrieve → read,
    create → create, update/partial_update → change, destroy → delete, plus the
    viewset's own ``policy_actions`` for extra actions. An action with no mapping is
    refused (deny by default). On the collection the question is "may this person do
    this to some record?"; on an object, "to this one?".
    """

    ACTIONS: ClassVar[dict[str, Action]] = {
        "list": Action.LIST,
        "retrieve": Action.READ,
        "create": Action.CREATE,
        "update": Action.CHANGE,
        "partial_update": Action.CHANGE,
        "destroy": Action.DELETE,
    }

    def _action(self, view: Any) -> Action | None:
        actions = {**self.ACTIONS, **getattr(view, "policy_actions", {})}
        return actions.get(getattr(view, "action", None) or "")

    def has_permission(self, request: Request, view: Any) -> bool:
        if not getattr(request.user, "is_authenticated", False):
            return False
        policy_action = self._action(view)
        return policy_action is not None and allowed(
            request.user, policy_action, view.policy_resource
        )

    def has_object_permission(self, request: Request, view: Any, obj: Model) -> bool:
        policy_action = self._action(view)
        return policy_action is not None and allowed(request.user, policy_action, obj)


class PolicyViewSetMixin:
    """Add ``PolicyPermission`` to the project's default permissions (authentication and
    the second factor), and name what a policy action is for each extra action."""

    policy_resource: ClassVar[str]
    policy_actions: ClassVar[dict[str, Action]] = {}

    def get_permissions(self) -> list[BasePermission]:
        return [*super().get_permissions(), PolicyPermission()]  # type: ignore[misc]

    def policy_action(self) -> Action:
        return Action.LIST if getattr(self, "action", None) == "list" else Action.READ
