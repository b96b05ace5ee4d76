-- promptbatch schema, version 5: the jobs table's CHECK on `state` compares instead of using IN.
-- SQLite 3.40 evaluates `state IN (five constants)` in a CHECK by building, filling and dropping
-- an ephemeral table every time a statement that writes a job's row runs: per job for the
-- runner's completion UPDATE and for submit's INSERT. The same set written as comparisons is
-- five comparisons. The constraint gets a name, so a violation says `valid_state`.
--
-- Only the table's SQL text changes; its rows and pages do not, and every row satisfies the
-- new CHECK because it satisfied the old one. SQLite documents editing `sqlite_schema` under
-- `writable_schema` for exactly this kind of change (removing, adding or changing CHECK
-- constraints that existing rows satisfy), where rebuilding the table would copy every job.
-- The text replaced is the one migration 0001 created, which the migrator verifies by checksum.
-- `RESET` reloads this connection's schema; the DDL after it changes the schema cookie, so
-- every other connection re-reads the schema too.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
  SET sql = replace(sql,
    'CHECK (state IN (''pending'', ''running'', ''succeeded'', ''failed'', ''cancelled''))',
    'CONSTRAINT valid_state CHECK (state = ''pending'' OR state = ''running'' OR state = ''succeeded'''
      || ' OR state = ''failed'' OR state = ''cancelled'')')
  WHERE type = 'table' AND name = 'jobs';
PRAGMA writable_schema = RESET;
CREATE TABLE schema_cookie_change (unused INTEGER);
DROP TABLE schema_cookie_change;
