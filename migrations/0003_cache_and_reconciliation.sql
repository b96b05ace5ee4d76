-- promptbatch schema, version 3: the response cache (`run --cache`) and reconciliation of
-- attempts whose cost was lost (`reconcile`). Money is INTEGER pico-USD, times INTEGER unix
-- epoch milliseconds.

-- SHA-256 of the job's canonical request (see CanonicalRequest); NULL for jobs submitted
-- before version 3 until a `run --cache` computes it.
ALTER TABLE jobs ADD COLUMN request_hash TEXT;
-- 1 when the request sets temperature 0 (the only requests the cache serves by default).
ALTER TABLE jobs ADD COLUMN is_deterministic INTEGER;
-- For a job answered from the cache: the job whose result it reused, and what that job cost.
ALTER TABLE jobs ADD COLUMN cached_from_job_id INTEGER REFERENCES jobs(id);
ALTER TABLE jobs ADD COLUMN cache_saved_picousd INTEGER;
-- The cache's look-up: an original (not itself cached) succeeded job with this hash.
CREATE INDEX jobs_by_request_hash ON jobs(request_hash, state) WHERE cached_from_job_id IS NULL;

-- 1 while an attempt's response is still arriving: written when a stream's headers arrive,
-- so a runner that dies mid-stream leaves a row with the generation id to reconcile.
ALTER TABLE attempts ADD COLUMN is_open INTEGER NOT NULL DEFAULT 0;
-- `/generation` look-ups that found nothing yet (404), for attempts still without a cost.
ALTER TABLE attempts ADD COLUMN lookups INTEGER NOT NULL DEFAULT 0;
-- Attempts reconciliation may still price: a generation id, a non-error status, no cost.
CREATE INDEX attempts_unpriced ON attempts(job_id)
  WHERE generation_id IS NOT NULL AND cost_picousd IS NULL;
