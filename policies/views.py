"""The policy page (`/policies/`, staff only): enable a policy, then watch a test request arrive.

Thin views: the page context comes from `policies.page`, writes from `policies.services`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_POST

from policies.forms import PolicyEnableForm, add_spec_errors
from policies.page import page_context
from policies.selectors import policy_first_transaction
from policies.services import Actor, policy_enable
from policies.validation import PolicyManagementError, PolicyValidationError

TEMPLATE = "policies/page.html"


def staff_json(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Like `staff_member_required`, but answers JSON 403 instead of redirecting."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not (user.is_authenticated and user.is_active and user.is_staff):
            return JsonResponse({"detail": "staff only"}, status=403)
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
@staff_member_required(login_url="/admin/login/")
def policy_page(request: HttpRequest) -> HttpResponse:
    """The active policy, every class with its config form, and the test panel."""
    return render(request, TEMPLATE, page_context(request))


@require_POST
@staff_member_required(login_url="/admin/login/")
def policy_enable_view(request: HttpRequest) -> HttpResponse:
    """Enable one class with a config; errors are shown next to that class's form."""
    if not request.user.has_perm("policies.change_policyconfig"):
        return HttpResponseForbidden("changing policies needs the change_policyconfig permission")
    form = PolicyEnableForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            row = policy_enable(
                policy_class=data["policy_class"],
                config=data.get("config") if data.get("config") is not None else {},
                name=data["name"],
                actor=Actor(user=request.user),
            )
        except PolicyValidationError as error:
            add_spec_errors(form, error)
        except PolicyManagementError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"{row.name} v{row.version} is now the active policy.")
            return redirect(reverse("policies:page") + "#test")
    return render(request, TEMPLATE, page_context(request, bound=form), status=422)


@require_GET
@staff_json
def latest_transaction(request: HttpRequest) -> JsonResponse:
    """`?policy=<name>&version=<v>&after=<iso time>`: the first matching transaction."""
    after = parse_datetime(request.GET.get("after", "").replace(" ", "+"))
    if after is not None and timezone.is_naive(after):
        after = timezone.make_aware(after, UTC)
    version = request.GET.get("version", "")
    if after is None or not version.lstrip("-").isdigit() or not request.GET.get("policy"):
        return JsonResponse(
            {"detail": "policy, version and after (ISO time) are required"}, status=400
        )
    found = policy_first_transaction(
        policy_name=request.GET["policy"], version=int(version), after=after
    )
    if found is None:
        return JsonResponse({"found": False})
    found["started_at"] = found["started_at"].isoformat()
    found["url"] = f"/activity/{found['id']}/"
    return JsonResponse({"found": True, "transaction": found})
