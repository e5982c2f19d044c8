"""``carrier-gateway db upgrade`` through the real CLI entry point."""
from gateway.cli import main
from gateway.store import migrate


def test_db_upgrade_url_then_idempotent(tmp_path, capsys):
    url = f"sqlite:///{tmp_path}/cli.db"
    assert main(["db", "upgrade", "--url", url]) == 0
    assert "upgraded (empty) -> " in capsys.readouterr().out
    assert main(["db", "upgrade", "--url", url]) == 0
    assert "already at revision" in capsys.readouterr().out
    assert migrate.current(url) == migrate.head()


def test_db_upgrade_from_config(tmp_path, capsys):
    config = tmp_path / "gateway.toml"
    config.write_text(f'[store]\nurl = "sqlite:///{tmp_path}/conf.db"\n')
    assert main(["db", "upgrade", "--config", str(config)]) == 0
    assert migrate.current(f"sqlite:///{tmp_path}/conf.db") == migrate.head()


def test_db_upgrade_errors_are_clear(tmp_path, capsys):
    assert main(["db", "upgrade", "--config", str(tmp_path / "missing.toml")]) == 2
    assert "missing.toml" in capsys.readouterr().err
    assert main(["db", "upgrade", "--url", "postgresql+psycopg://u:pw@127.0.0.1:1/x"]) == 1
    err = capsys.readouterr().err
    assert "127.0.0.1:1" in err and "pw" not in err
