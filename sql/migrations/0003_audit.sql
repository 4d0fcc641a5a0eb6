-- 0003: the audit log, a hash chain of who did what (sql/store_audit.c appends; docs/audit.md
-- defines the canonical row form and how to re-verify it), and the signed heads of that chain.
-- Both tables are append-only: triggers refuse UPDATE and DELETE, so nothing in HallWatch can edit
-- them. Someone with the file can drop the triggers; the hash chain and the signatures catch that.

CREATE TABLE audit_log (
  seq         INTEGER PRIMARY KEY CONSTRAINT audit_seq_valid CHECK (seq >= 1),
  time_ns     INTEGER NOT NULL,
  -- user name, token name, or 'system'
  actor       TEXT NOT NULL
              CONSTRAINT audit_actor_fits CHECK (length(CAST(actor AS BLOB)) BETWEEN 1 AND 127),
  role        TEXT NOT NULL DEFAULT ''
              CONSTRAINT audit_role_fits CHECK (length(CAST(role AS BLOB)) <= 31),
  address     TEXT NOT NULL DEFAULT ''
              CONSTRAINT audit_address_fits CHECK (length(CAST(address AS BLOB)) <= 63),
  -- 'auth.login', 'footage.view', 'config.change', …: lowercase words joined by dots
  action      TEXT NOT NULL
              CONSTRAINT audit_action_fits CHECK (length(action) BETWEEN 3 AND 63
                AND action GLOB '[a-z]*.[a-z]*' AND NOT action GLOB '*[^a-z0-9_.]*'),
  object_type TEXT NOT NULL DEFAULT ''
              CONSTRAINT audit_object_type_fits CHECK (length(CAST(object_type AS BLOB)) <= 31),
  object_id   TEXT NOT NULL DEFAULT ''
              CONSTRAINT audit_object_id_fits CHECK (length(CAST(object_id AS BLOB)) <= 127),
  detail      TEXT NOT NULL DEFAULT '{}'
              CONSTRAINT audit_detail_json CHECK (length(CAST(detail AS BLOB)) <= 4095
                AND json_valid(detail)),
  prev_hash   TEXT NOT NULL
              CONSTRAINT audit_prev_hash_hex
              CHECK (length(prev_hash) = 64 AND NOT prev_hash GLOB '*[^0-9a-f]*'),
  hash        TEXT NOT NULL
              CONSTRAINT audit_hash_hex CHECK (length(hash) = 64 AND NOT hash GLOB '*[^0-9a-f]*')
) STRICT;
-- The auditor's filters: by time, by actor, by action, by object; each ordered by seq.
CREATE INDEX audit_by_time ON audit_log (time_ns);
CREATE INDEX audit_by_actor ON audit_log (actor, seq);
CREATE INDEX audit_by_action ON audit_log (action, seq);
CREATE INDEX audit_by_object ON audit_log (object_type, object_id, seq);

-- A row must extend the chain: the next seq, and the hash of the row before as prev_hash. The
-- store computes both; this keeps any other writer from forking the chain by mistake.
CREATE TRIGGER audit_log_extends_chain BEFORE INSERT ON audit_log
WHEN NEW.seq IS NOT coalesce((SELECT max(seq) FROM audit_log), 0) + 1
  OR NEW.prev_hash IS NOT coalesce((SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1),
                                   '0000000000000000000000000000000000000000000000000000000000000000')
BEGIN
  SELECT RAISE(ABORT, 'an audit row must extend the chain (next seq, prev_hash = last hash)');
END;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'the audit log is append-only');
END;

-- The chain's head as signed by the appliance key (Ed25519, hex) over
-- "hallwatch-audit-v1\n<seq>\n<head_hash>\n<signed_at_ns>". Rows are never changed either.
CREATE TABLE audit_heads (
  id           INTEGER PRIMARY KEY,
  seq          INTEGER NOT NULL CONSTRAINT audit_head_seq_valid CHECK (seq >= 1),
  head_hash    TEXT NOT NULL
               CONSTRAINT audit_head_hash_hex
               CHECK (length(head_hash) = 64 AND NOT head_hash GLOB '*[^0-9a-f]*'),
  signed_at_ns INTEGER NOT NULL,
  signature    TEXT NOT NULL
               CONSTRAINT audit_head_signature_hex
               CHECK (length(signature) = 128 AND NOT signature GLOB '*[^0-9a-f]*'),
  public_key   TEXT NOT NULL
               CONSTRAINT audit_head_public_key_hex
               CHECK (length(public_key) = 64 AND NOT public_key GLOB '*[^0-9a-f]*')
) STRICT;
CREATE INDEX audit_heads_by_seq ON audit_heads (seq);
CREATE TRIGGER audit_heads_no_update BEFORE UPDATE ON audit_heads
BEGIN
  SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_heads_no_delete BEFORE DELETE ON audit_heads
BEGIN
  SELECT RAISE(ABORT, 'the audit log is append-only');
END;
