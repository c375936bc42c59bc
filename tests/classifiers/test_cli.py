from typer.testing import CliRunner

from service.cli import app


def test_evaluate_command_prints_the_metrics_table(data_dir):
    result = CliRunner().invoke(app, ["evaluate", "--data", str(data_dir)])
    assert result.exit_code == 0, result.output
    rows = {tuple(line.split()[:2]): line.split() for line in result.output.splitlines() if line.strip()}
    assert float(rows[("smsa", "test")][3]) >= 78.5 and float(rows[("nusax_ind", "test")][3]) >= 85.5
