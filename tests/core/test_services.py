import pytest

from eventsvc.site.services import tel_uri
from eventsvc.web import safe_next_url


@pytest.mark.parametrize(
    ("number", "uri"),
    [
        ("909-361-4588", "tel:+19093614588"),
        ("(909) 361 4588", "tel:+19093614588"),
        ("+52 55 1234 5678", "tel:+525512345678"),
        ("1-909-361-4588", "tel:+19093614588"),
    ],
)
def test_tel_uri_is_e164(number, uri):
    assert tel_uri(number) == uri


@pytest.mark.parametrize(
    ("target", "safe"),
    [
        ("/admin/", "/admin/"),
        ("/events/x?lang=es", "/events/x?lang=es"),
        ("https://evil.example/", None),
        ("//evil.example/", None),
        ("/\\evil.example", None),
        ("javascript:alert(1)", None),
        ("", None),
        (None, None),
    ],
)
def test_safe_next_url_only_allows_local_paths(target, safe):
    assert safe_next_url(target) == safe
