-- Keys Gazette makes for itself, never exported: the key that signs the
-- "trusted device" cookies of sign-in (docs/NEWSROOM.md, "Sign-in
-- limits"). Made on first use.
CREATE TABLE secrets (
    name       TEXT PRIMARY KEY,
    value      BLOB NOT NULL,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;
