"""Single sign-on: which claims make an itcap account match (the provider itself is not in CI)."""

import pytest

from itcap.ui.sso import verified_email


@pytest.mark.parametrize(("email", "verified", "domain_verified", "matched"), [
    ("ana@example.org", True, None, "ana@example.org"),
    (" ana@example.org ", "true", None, "ana@example.org"),
    ("ana@example.org", None, True, "ana@example.org"),  # Entra ID: no email_verified, its xms_edov optional claim
    ("ana@example.org", None, None, None),  # the provider vouches for nothing: Entra's typed-in e-mail claim
    ("ana@example.org", False, None, None),  # not verified: anyone could have typed it
    ("ana@example.org", "false", None, None),
    ("ana@example.org", "yes", "1", None),  # only a plain true counts
    ("", True, None, None),
    ("   ", True, None, None),
    (None, None, None, None),
    (["ana@example.org"], True, None, None),
])
def test_only_an_address_the_provider_vouches_for_matches_an_account(email, verified, domain_verified, matched):
    assert verified_email(email, verified, domain_verified) == matched
