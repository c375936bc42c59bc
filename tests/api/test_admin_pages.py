"""Admin pages over real HTTP: admin only (403 for every other role), scoped to the key's workspace, audit filters."""
from __future__ import annotations

import pytest

PAGES = ["/ui/admin/campaigns", "/ui/admin/rules", "/ui/admin/keys", "/ui/admin/searches", "/ui/admin/sources",
         "/ui/admin/audit"]


@pytest.mark.parametrize("role", ["analyst", "pr", "leadership"])
def test_other_roles_get_403_on_every_admin_page(api, role):
    client = api.ui(role, "*")
    for path in PAGES:
        r = client.get(path)
        assert r.status_code == 403, (role, path, r.status_code)
        assert 'href="/ui/admin/campaigns"' not in r.text  # nor a link to them
    assert 'href="/ui/admin/campaigns"' in api.ui("admin", "*").get("/ui/leadership").text


def test_admin_pages_list_what_the_key_may_manage(api):
    admin = api.admin
    assert admin.post("/rules", json={"name": "Isu chip vaksin", "campaign": "vaksin", "query": {"any": ["chip"]}}
                      ).status_code == 201
    assert admin.post("/rules", json={"name": "Isu KTT", "campaign": "asean", "query": {"any": ["macet"]}}
                      ).status_code == 201
    assert admin.post("/saved-searches", json={"name": "Hoaks chip", "query": "chip OR microchip"}).status_code == 201
    assert admin.delete("/campaigns/stunting").status_code == 204
    assert admin.post("/campaigns", json={"id": "x", "name": "bad", "workspace": "NOT A SLUG"}).status_code == 422
    everything = api.ui("admin", "*")
    pages = {p.rsplit("/", 1)[1]: everything.get(p) for p in PAGES}
    assert all(r.status_code == 200 for r in pages.values()), {k: r.status_code for k, r in pages.items()}
    assert "KTT ASEAN" in pages["campaigns"].text and "Vaksinasi nasional" in pages["campaigns"].text
    assert "Isu chip vaksin" in pages["rules"].text and "Isu KTT" in pages["rules"].text
    assert "test-admin-*" in pages["keys"].text and "Hoaks chip" in pages["searches"].text
    assert 'id="sources"' in pages["sources"].text
    audit = pages["audit"].text
    assert ">/campaigns/stunting<" in audit and ">/rules<" in audit
    only_deletes = everything.get("/ui/admin/audit", params={"method": "DELETE"}).text
    assert ">/campaigns/stunting<" in only_deletes and ">/saved-searches<" not in only_deletes
    refused = everything.get("/ui/admin/audit", params={"status": "4"}).text
    assert "NOT A SLUG" not in refused and ">422<" in refused and ">204<" not in refused
    by_path = everything.get("/ui/admin/audit", params={"path": "saved-searches"}).text
    assert ">/saved-searches<" in by_path and ">/campaigns/stunting<" not in by_path
    edit = everything.get("/ui/admin/campaigns", params={"edit": "asean"}).text
    assert 'data-method="PUT" data-path="/campaigns/asean"' in edit and 'value="KTT ASEAN"' in edit

    # an admin of one workspace: its campaigns, rules and keys only; source health is an operator view
    kemkes = api.ui("admin", "kemkes")
    campaigns = kemkes.get("/ui/admin/campaigns").text
    assert "Vaksinasi nasional" in campaigns and "KTT ASEAN" not in campaigns
    rules = kemkes.get("/ui/admin/rules").text
    assert "Isu chip vaksin" in rules and "Isu KTT" not in rules
    keys = kemkes.get("/ui/admin/keys").text
    assert "test-admin-kemkes" in keys and "test-admin-*" not in keys
    assert kemkes.get("/ui/admin/searches").text.count("Hoaks chip") == 0  # saved in workspace '*'
    sources = kemkes.get("/ui/admin/sources").text
    assert 'id="sources"' not in sources and "hanya untuk kunci ruang kerja &#39;*&#39;" in sources
    kemkes_audit = kemkes.get("/ui/admin/audit").text
    assert ">/campaigns/stunting<" in kemkes_audit and ">/rules<" not in kemkes_audit  # what touched kemkes
