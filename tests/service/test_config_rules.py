import pytest

from service.alerts.store import AlertStore
from service.context import AppContext
from service.config import Settings

CONFIG = """campaigns:
  - {id: vaksin, name: Vaksin, keywords: [vaksin]}
rules:
  - {id: chip, name: Hoaks chip, campaign: vaksin, query: {any: [microchip]}}
  - {id: sync, name: Terkoordinasi, kind: coordinated}
"""


def test_rules_in_the_config_are_seeded_once_and_fire(tmp_path, monkeypatch):
    cfg = tmp_path / "nw.yaml"
    cfg.write_text(CONFIG, encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "var", config_file=cfg)
    ctx = AppContext.build(settings)
    assert sorted(r.id for r in ctx.alerts.alerts.list_rules()) == ["chip", "sync"]
    ctx.alerts.put_rule(ctx.alerts.alerts.get_rule("chip").model_copy(update={"severity": "critical"}))
    ctx.alerts.close()
    loads = []
    real = AlertStore.list_rules
    monkeypatch.setattr(AlertStore, "list_rules", lambda self: loads.append(1) or real(self))
    ctx = AppContext.build(Settings(data_dir=tmp_path / "var", config_file=cfg))  # a restart keeps API edits
    assert len(loads) == 1  # loaded once, by the startup hook (not also by the engine's constructor)
    assert ctx.alerts.alerts.get_rule("chip").severity == "critical"
    from tests.factories import make_post

    ctx.pipeline.process([make_post(1, "Awas vaksin berisi microchip", campaigns=[])])
    assert [a.rule for a in ctx.alerts.alerts.list_alerts()] == ["chip"]
    ctx.alerts.close()


def test_a_config_rule_without_id_is_a_clear_error(tmp_path):
    cfg = tmp_path / "nw.yaml"
    cfg.write_text("rules:\n  - {name: Tanpa id, query: {any: [hoaks]}}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="need an id: Tanpa id"):
        Settings(data_dir=tmp_path, config_file=cfg).rules()
