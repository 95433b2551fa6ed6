"""The policy page (`/policies/`, staff only): enable a policy, then watch a test request arrive.

Thin views: the page context comes from `policies.page`, writes from `policies.services`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from policies.forms import PolicyEnableForm, add_spec_errors
from policies.page import page_context
from policies.services import Actor, policy_enable
from policies.validation import PolicyManagementError, PolicyValidationError

TEMPLATE = "policies/page.html"


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
