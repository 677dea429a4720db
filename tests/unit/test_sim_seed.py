"""The demo org honours docs/DEMO_ORG.md: ids, states, views, territories, determinism."""

from __future__ import annotations

from runner.simulator.models.views import territory_closure
from runner.simulator.seed import build_demo_org


def test_record_ids_follow_the_contract() -> None:
    """Record n of module k is "554023" + k:03d + n:09d (DEMO_ORG examples)."""
    org = build_demo_org()
    assert org.modules["Deals"].record_id(1) == "554023004000000001"
    assert org.modules["Leads"].record_id(250) == "554023001000000250"
    assert org.modules["Shipments"].custom
    assert org.modules["Deals"].record_n("554023001000000001") is None
    assert org.stores["Leads"].count() == 300


def test_record_numbers_refuse_anything_but_this_modules_ids() -> None:
    """Other modules, wrong lengths, signs, spaces, letters, non-ASCII digits and n = 0
    give None."""
    leads = build_demo_org().modules["Leads"]
    ids = [
        "554023001000000005", "554023001999999999", "554023002000000005",
        "55402300100000000x", "554023001000000000", "5540230010000000051",
        "+54023001000000005", "554023001 00000005", "", "554023001００００００００５",
    ]  # fmt: skip
    assert leads.record_numbers(ids) == [5, 999_999_999, None, None, None, None, None, None,
                                         None, None]  # fmt: skip
    assert [leads.record_n(i) for i in ids] == leads.record_numbers(ids)


def test_states_by_n() -> None:
    """n % 50 == 7/17/27/37 are locked/blueprint/stop processing/not approved; 1-6, 8-16 plain."""
    store = build_demo_org().stores["Cases"]
    assert [store.state(n) for n in (7, 17, 27, 37, 57)] == [
        "locked", "blueprint", "stop_processing", "not_approved", "locked",
    ]  # fmt: skip
    assert all(store.state(n) is None for n in [*range(1, 7), *range(8, 17)])


def test_views_hold_what_the_table_says_for_any_seed() -> None:
    """Junk Leads are every 10th Lead and most Accounts are not Education, whatever the seed."""
    for seed in (1, 2, 99):
        org = build_demo_org(seed=seed)
        junk = org.views["554023000000091999"].members(org.stores["Leads"])
        assert list(junk) == list(range(10, 301, 10))
        assert org.count(org.modules["Accounts"], "554023000000091515") == 240
        assert org.count(org.modules["Contacts"], "554023000000092003") == 0


def test_seed_changes_values_not_ids() -> None:
    """Two seeds give different names for the same ids; one seed is reproducible."""
    a, b, a2 = build_demo_org(seed=1), build_demo_org(seed=2), build_demo_org(seed=1)
    names = [[o.stores["Leads"].get(n, "Last_Name") for n in range(1, 30)] for o in (a, b, a2)]
    assert names[0] == names[2]
    assert names[0] != names[1]


def test_territory_tree() -> None:
    """World → Americas → North/South America; EMEA under World; records by n % 4."""
    org = build_demo_org()
    assert territory_closure(org.territories, "554023000000430409", True) == {
        "554023000000430409", "554023000000430411", "554023000000430412",
    }  # fmt: skip
    assert territory_closure(org.territories, "554023000000430409", False) == {"554023000000430409"}
    store = org.stores["Deals"]
    assert [store.territory(n) for n in (1, 2, 3, 4)] == [
        "554023000000430411", "554023000000430412", "554023000000430410", None,
    ]  # fmt: skip


def test_users() -> None:
    """Patricia Boyle is the admin; the Read Only user is not."""
    org = build_demo_org()
    assert org.admin.id == "554023000000235011"
    assert org.admin.email == "patricia.boyle@zylker.example"
    assert not org.user("554023000000235012").admin
