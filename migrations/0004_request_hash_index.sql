-- promptbatch schema, version 4: the cache's look-up index holds only jobs that have a hash.
-- Version 3's index also held every job submitted without one (all of them: `submit` stores
-- no hash), an index entry per job that a large submit paid for and no query used.
DROP INDEX jobs_by_request_hash;
CREATE INDEX jobs_by_request_hash ON jobs(request_hash, state)
  WHERE request_hash IS NOT NULL AND cached_from_job_id IS NULL;
