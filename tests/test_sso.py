"""Single sign-on: which claims make an itcap account match (the provider itself is not in CI)."""

import pytest

from itcap.ui.sso import verified_email


@pytest.mark.parametrize(("email", "verified", "matched"), [
    ("ana@example.org", True, "ana@example.org"),
    (" ana@example.org ", None, "ana@example.org"),  # a provider that does not send the claim
    ("ana@example.org", False, None),  # not verified: anyone could have typed it
    ("ana@example.org", "false", None),
    ("", True, None),
    (None, None, None),
])
def test_an_unverified_address_never_matches_an_account(email, verified, matched):
    assert verified_email(email, verified) == matched
