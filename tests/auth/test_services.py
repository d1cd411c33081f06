import pytest

from eventsvc.auth.models import Role
from eventsvc.auth.services import authenticate, count_admins, create_staff
from eventsvc.errors import DomainError


def test_password_is_stored_as_scrypt_hash(app_ctx):
    user, password = create_staff(
        email="a@example.org", name="A", role=Role.admin, password="a long passphrase"
    )
    assert user.password_hash.startswith("scrypt:")
    assert "a long passphrase" not in user.password_hash
    assert user.check_password("a long passphrase")
    assert not user.check_password("a long passphrasE")


def test_generated_password_is_long_and_works(app_ctx):
    user, password = create_staff(email="b@example.org", name="B", role=Role.volunteer)
    assert len(password) >= 16
    assert authenticate("b@example.org", password) == user


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"email": "nope", "password": "a long passphrase"}, "invalid_email"),
        ({"email": "c@example.org", "password": "short"}, "weak_password"),
    ],
)
def test_create_staff_validates(app_ctx, kwargs, code):
    with pytest.raises(DomainError) as e:
        create_staff(name="C", role=Role.organiser, **kwargs)
    assert e.value.code == code


def test_create_staff_refuses_duplicate_email(app_ctx):
    create_staff(email="d@example.org", name="D", role=Role.organiser)
    with pytest.raises(DomainError) as e:
        create_staff(email="D@EXAMPLE.org", name="D2", role=Role.organiser)
    assert e.value.code == "duplicate"


def test_roles_are_ordered(app_ctx):
    admin, _ = create_staff(email="e@example.org", name="E", role=Role.admin)
    volunteer, _ = create_staff(email="f@example.org", name="F", role=Role.volunteer)
    assert admin.has_role(Role.organiser) and admin.has_role(Role.volunteer)
    assert volunteer.has_role(Role.volunteer) and not volunteer.has_role(Role.organiser)
    assert count_admins() == 1


def test_authenticate_refuses_unknown_email(app_ctx):
    with pytest.raises(DomainError) as e:
        authenticate("ghost@example.org", "whatever password")
    assert e.value.code == "invalid_credentials"
