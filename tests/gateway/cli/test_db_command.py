"""``carrier-gateway db upgrade`` through the real CLI entry point."""
from gateway.cli.main import main
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


def test_db_upgrade_refuses_a_missing_directory_unless_asked(tmp_path, capsys):
    where = tmp_path / "no" / "such" / "dir"
    url = f"sqlite:///{where}/x.db"
    assert main(["db", "upgrade", "--url", url]) == 2
    err = capsys.readouterr().err
    assert f"the directory {where} does not exist" in err and "--create-dirs" in err
    assert not (tmp_path / "no").exists()  # nothing created
    assert main(["db", "current", "--url", url]) == 2
    assert not (tmp_path / "no").exists()
    assert main(["db", "upgrade", "--url", url, "--create-dirs"]) == 0
    assert f"created {where}" in capsys.readouterr().out
    assert migrate.current(url) == migrate.head()
