"""Wrong member confirm/leave links count against the client's budget of failed look-ups."""

LIMIT = 3
ATTACKER = {"REMOTE_ADDR": "203.0.113.7"}
OTHER = {"REMOTE_ADDR": "198.51.100.20"}


def test_guessing_member_links_gets_429_and_another_client_is_not_held_up(app, make_app):
    limited = make_app(TOKEN_LOOKUP_LIMIT=f"{LIMIT} per minute")
    client = limited.test_client()
    for i in range(LIMIT):
        path = "/join/confirm/wrong-" if i % 2 else "/leave/wrong-"
        assert client.get(f"{path}{i}", environ_base=ATTACKER).status_code == 404
    for path in ("/join/confirm/wrong-x", "/leave/wrong-x"):
        response = client.get(path, environ_base=ATTACKER)
        assert response.status_code == 429
        assert 0 < int(response.headers["Retry-After"]) <= 60
    assert client.get("/leave/wrong-y", environ_base=OTHER).status_code == 404
