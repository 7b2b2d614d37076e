-- FIX message store: one row per session, one row per stored outbound
-- message. Applied by fix_engine::store::PostgresStoreFactory inside the
-- schema it was given (search_path is set to it for the migration), and
-- recorded in that schema's schema_migrations table.

CREATE TABLE fix_sessions (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    begin_string    TEXT        NOT NULL,
    sender_comp_id  TEXT        NOT NULL,
    target_comp_id  TEXT        NOT NULL,
    -- '' when the session has no qualifier.
    qualifier       TEXT        NOT NULL DEFAULT '',
    next_sender_seq BIGINT      NOT NULL CHECK (next_sender_seq >= 0),
    next_target_seq BIGINT      NOT NULL CHECK (next_target_seq >= 0),
    -- When the current sequence (since the last reset) began.
    creation_time   TIMESTAMPTZ NOT NULL,
    UNIQUE (begin_string, sender_comp_id, target_comp_id, qualifier)
);

CREATE TABLE fix_messages (
    session_id BIGINT NOT NULL REFERENCES fix_sessions (id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    body       BYTEA  NOT NULL,
    PRIMARY KEY (session_id, seq)
);
