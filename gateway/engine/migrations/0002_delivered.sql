-- The application's delivery number stored with each batch of sent
-- messages (NULL: none stored yet). A reset keeps it.

ALTER TABLE fix_sessions ADD COLUMN delivered BIGINT CHECK (delivered >= 0);
