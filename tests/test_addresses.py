"""Contacts to channel addresses: phone normalisation and the order Zalo, then email, SMS as fallback."""

import pytest

from commplan.notify.addresses import Address, InvalidPhone, addresses_of, normalise_phone
from commplan.plan.model import Contact


@pytest.mark.parametrize(
    ("raw", "e164"),
    [("0912345678", "84912345678"), ("+84 912 345 678", "84912345678"), ("84345671234", "84345671234"),
     ("0345.671.234", "84345671234"), ("(0)868-123-456", "84868123456"), ("+84 24 1234 5678", None)],
)
def test_vietnamese_mobiles_become_e164_without_plus(raw, e164):
    if e164 is None:
        with pytest.raises(InvalidPhone):
            normalise_phone(raw)
    else:
        assert normalise_phone(raw) == e164


@pytest.mark.parametrize("raw", ["0241234567", "091234567", "+1 415 555 0100", "0612345678"])
def test_landlines_and_foreign_or_short_numbers_are_refused(raw):
    with pytest.raises(InvalidPhone):
        normalise_phone(raw)


def test_zalo_first_then_email_and_sms_only_as_fallback():
    contact = Contact(name="Phòng TTBCXB", email="ttbc@example.gov.vn", phone="0912345678", zalo="8400000001")
    assert addresses_of(contact, {"zalo", "zns", "sms", "email"}) == [
        Address("zalo", "8400000001"), Address("email", "ttbc@example.gov.vn")]
    assert addresses_of(contact, {"zns", "sms", "email"}) == [
        Address("zns", "84912345678"), Address("email", "ttbc@example.gov.vn")]
    assert addresses_of(contact, {"sms"}) == [Address("sms", "84912345678")]
    assert addresses_of(Contact(phone="0241234567"), {"sms", "zns"}) == []  # a landline: nothing to send to


@pytest.mark.parametrize("raw", ["0951234567", "0301234567", "0201234567"])
def test_numbers_on_unassigned_mobile_prefixes_are_refused(raw):
    with pytest.raises(InvalidPhone):
        normalise_phone(raw)
