"""The shared statement helpers: chunked IN lists and inserts that skip existing keys."""

from sqlalchemy import Column, Integer, MetaData, String, Table
from sqlalchemy.dialects import postgresql, sqlite

from tracker.txn import IN_CHUNK, in_chunks


def test_in_chunks_covers_every_value_once_in_slices_under_the_parameter_limit():
    values = list(range(2 * IN_CHUNK + 7))
    chunks = list(in_chunks(values))
    assert [len(c) for c in chunks] == [IN_CHUNK, IN_CHUNK, 7]
    assert [v for c in chunks for v in c] == values
    assert list(in_chunks([])) == []
    assert list(in_chunks([1, 2, 3], 2)) == [[1, 2], [3]]


def test_insert_ignoring_compiles_to_on_conflict_do_nothing_on_both_backends(app):
    from tracker.txn import insert_ignoring

    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("code", String, unique=True))
    statement = insert_ignoring(table, ["code"]).values(code="a")
    dialect = sqlite.dialect() if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") else postgresql.dialect()
    assert "ON CONFLICT (code) DO NOTHING" in str(statement.compile(dialect=dialect))
