"""Operator credentials for the console, under the API's failure budgets.

``check`` reads HTTP Basic (scripts, ``carrier-gateway status``);
``check_login`` takes the login form's fields.  Both go through
``gateway.api.auth_guard.check_credentials``: 429 while a budget is spent,
401 when missing or wrong.  Only ``[console] users`` are operators.
"""
from __future__ import annotations

from gateway.messages.errors import ApiError
from gateway.api.auth_guard import AuthGuard, check_credentials
from gateway.console.passwords import Operators


class ConsoleAuth:
    def __init__(self, guard: AuthGuard, operators: Operators):
        self.guard = guard
        self.operators = operators

    def check(self, request) -> str:
        from gateway.api.auth_guard import basic_credentials

        user, password = basic_credentials(request.getHeader(b"authorization"))
        return self.check_login(request, user, password)

    def check_login(self, request, user: str, password: str) -> str:
        try:
            check_credentials(self.guard, request, user, password,
                              lambda: self.operators.check(user, password), known=user in self.operators)
        except ApiError as error:
            if error.status == 401:
                raise UNAUTHORIZED from None
            raise
        return user


UNAUTHORIZED = ApiError(401, 20003, "Authenticate: an operator of [console] users is required")
