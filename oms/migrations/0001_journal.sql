-- The OMS journal: append-only, hash-chained. One row per event.
CREATE TABLE journal (
    seq       BIGINT PRIMARY KEY,
    ts        BIGINT NOT NULL,
    kind      TEXT   NOT NULL,
    order_id  TEXT,
    client    TEXT,
    account   TEXT,
    symbol    TEXT,
    payload   TEXT   NOT NULL,
    prev_hash TEXT   NOT NULL,
    hash      TEXT   NOT NULL
);

CREATE INDEX journal_order_idx   ON journal (order_id) WHERE order_id IS NOT NULL;
CREATE INDEX journal_client_idx  ON journal (client, ts) WHERE client IS NOT NULL;
CREATE INDEX journal_account_idx ON journal (account, ts) WHERE account IS NOT NULL;
CREATE INDEX journal_symbol_idx  ON journal (symbol, ts) WHERE symbol IS NOT NULL;
CREATE INDEX journal_ts_idx      ON journal (ts);

-- Refuse any change to what was written.
CREATE FUNCTION journal_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'journal is append-only: % refused', TG_OP;
END
$$;

CREATE TRIGGER journal_no_update_delete
    BEFORE UPDATE OR DELETE ON journal
    FOR EACH ROW EXECUTE FUNCTION journal_refuse_change();

CREATE TRIGGER journal_no_truncate
    BEFORE TRUNCATE ON journal
    FOR EACH STATEMENT EXECUTE FUNCTION journal_refuse_change();
