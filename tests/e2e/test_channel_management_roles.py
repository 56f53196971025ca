"""Channel management goes through the role table (security review, finding 2): creating a channel
does not make it yours beyond your role. A member who created a channel and was then demoted to
viewer can no longer rename it, delete it or remove its members; as a member again they can.
"""

from __future__ import annotations

from conftest import assert_problem
from helpers_identity import create_invite_ok, signup_via_invite
from helpers_messaging import API, add_member_ok, channel_name, create_channel_ok, list_channels, uid
# the module's fixtures
from helpers_messaging import server, server_survives  # noqa: F401


def set_role(c, owner, person, role):
    r = c.patch(f"{API}/workspaces/{owner['workspace_id']}/members/{uid(person)}", json={"role": role}, headers=owner["headers"])
    assert r.status_code == 200, f"make {uid(person)} {role}: {r.status_code} {r.text}"


def test_a_creator_demoted_to_viewer_cannot_manage_the_channel(server, owner):
    with server.client() as c:
        ws = owner["workspace_id"]
        creator = signup_via_invite(c, create_invite_ok(c, owner["headers"], ws, "member")["token"], "chancreator")
        bystander = signup_via_invite(c, create_invite_ok(c, owner["headers"], ws, "member")["token"], "bystander")
        ch = create_channel_ok(c, creator["headers"], ws, channel_name("mine"))
        add_member_ok(c, creator["headers"], ch["id"], uid(bystander))

        set_role(c, owner, creator, "viewer")
        hh = creator["headers"]
        assert_problem(c.patch(f"{API}/channels/{ch['id']}", json={"name": channel_name("renamed")}, headers=hh), 403)
        assert_problem(c.patch(f"{API}/channels/{ch['id']}", json={"topic": "viewer was here"}, headers=hh), 403)
        assert_problem(c.delete(f"{API}/channels/{ch['id']}/members/{uid(bystander)}", headers=hh), 403)
        assert_problem(c.delete(f"{API}/channels/{ch['id']}", headers=hh), 403)
        assert_problem(c.post(f"{API}/channels/{ch['id']}/members", json={"member_id": uid(owner)}, headers=hh), 403)

        # Nothing changed: the channel, its name and its members are as they were.
        r = c.get(f"{API}/channels/{ch['id']}", headers=owner["headers"])
        assert r.status_code == 200 and r.json()["name"] == ch["name"] and r.json()["topic"] == ch["topic"], r.text
        assert ch["id"] in {x["id"] for x in list_channels(c, bystander["headers"], ws)}
        r = c.get(f"{API}/channels/{ch['id']}/messages", headers=bystander["headers"])
        assert r.status_code == 200, "the bystander was removed from the channel"

        # A viewer may still leave a channel (their own membership), and the role table, not the
        # creator flag, decides: made a member again, the creator manages their channel again.
        set_role(c, owner, creator, "member")
        r = c.patch(f"{API}/channels/{ch['id']}", json={"topic": "back as member"}, headers=hh)
        assert r.status_code == 200, r.text
        r = c.delete(f"{API}/channels/{ch['id']}/members/{uid(bystander)}", headers=hh)
        assert r.status_code == 204, r.text


def test_a_member_who_did_not_create_a_channel_cannot_manage_it(server, owner):
    with server.client() as c:
        ws = owner["workspace_id"]
        member = signup_via_invite(c, create_invite_ok(c, owner["headers"], ws, "member")["token"], "notcreator")
        ch = create_channel_ok(c, owner["headers"], ws, channel_name("owners"))
        add_member_ok(c, owner["headers"], ch["id"], uid(member))
        assert_problem(c.patch(f"{API}/channels/{ch['id']}", json={"topic": "mine now"}, headers=member["headers"]), 403)
        assert_problem(c.delete(f"{API}/channels/{ch['id']}", headers=member["headers"]), 403)
        assert_problem(c.delete(f"{API}/channels/{ch['id']}/members/{uid(owner)}", headers=member["headers"]), 403)
