import re

from typer.testing import CliRunner

from service.cli import app


def test_evaluate_command_prints_the_metrics_table(data_dir):
    result = CliRunner().invoke(app, ["evaluate", "--data", str(data_dir)])
    assert result.exit_code == 0, result.output
    rows = {tuple(line.split()[:2]): line.split() for line in result.output.splitlines() if line.strip()}
    assert float(rows[("smsa", "test")][3]) >= 78.5 and float(rows[("nusax_ind", "test")][3]) >= 85.5
    # then the targets, each with the figure of its table row, its goal and whether it is met
    lines = result.output.splitlines()
    targets = lines[lines.index(next(x for x in lines if x.startswith("target (issue 13)"))) + 1:]
    parsed = [re.match(r"^(.+?)\s+(\d+)\s+([\d.]+)\s+(>=|<=) ([\d.]+)\s+(met|NOT MET, gap [\d.]+ points)$", x)
              for x in targets[:-1]]
    assert len(parsed) >= 19 and all(parsed), targets  # no target without its measured row
    for m in parsed:
        value, goal = float(m[3]), float(m[5])
        assert (m[6] == "met") == (value >= goal if m[4] == ">=" else value <= goal), m[0]
    assert targets[-1] == f"{sum(m[6] == 'met' for m in parsed)} of {len(parsed)} met"
    recall = next(m for m in parsed if m[1].startswith("claim recall@1"))
    assert float(recall[3]) == float(rows[("claims:recall@1_tbh2025_test", "shipped_threshold")][6])


def test_init_loads_the_seed_claim_database(tmp_path, monkeypatch):
    from classifiers.claims import load_seed
    from service.claim_store import ClaimStore

    monkeypatch.setenv("NW_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("NW_CONFIG_FILE", raising=False)
    from service.config import Settings

    settings = Settings(data_dir=tmp_path, config_file=None, store="sqlite")
    manual = ClaimStore(settings)
    manual.put([{"id": "manual-1", "text": "klaim yang dimasukkan analis", "title": "manual"}])
    for _ in range(2):  # re-running init updates the seed, keeps manual entries, duplicates nothing
        result = CliRunner().invoke(app, ["init"])
        assert result.exit_code == 0, result.output
    seed = load_seed()["claims"]
    store = ClaimStore(settings)
    assert store.count() == len(seed) + 1
    got = {c["id"]: c for c in store.all()}
    assert got["tbh-35352"]["url"].startswith("https://turnbackhoax.id/articles/35352") and got["manual-1"]
    assert "debunked claims: " in result.output
