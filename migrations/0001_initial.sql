-- promptbatch schema, version 1.
-- All times are INTEGER unix epoch milliseconds; all money is INTEGER pico-USD (1e-12 USD).

CREATE TABLE batches (
  id INTEGER PRIMARY KEY,
  name TEXT,
  created_at INTEGER NOT NULL,
  content_hash TEXT NOT NULL,
  source_files TEXT NOT NULL,          -- JSON array of paths
  job_count INTEGER NOT NULL
);
CREATE INDEX batches_by_content_hash ON batches(content_hash);

CREATE TABLE jobs (
  id INTEGER PRIMARY KEY,
  batch_id INTEGER NOT NULL REFERENCES batches(id),
  custom_id TEXT NOT NULL,
  source_file TEXT NOT NULL,
  line_number INTEGER NOT NULL,
  model TEXT NOT NULL,                 -- requested model
  request TEXT NOT NULL,               -- wire JSON body to send
  is_stream INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL DEFAULT 'pending'
    CHECK (state IN ('pending', 'running', 'succeeded', 'failed', 'cancelled')),
  attempts INTEGER NOT NULL DEFAULT 0, -- HTTP attempts, cumulative forever
  runner_id TEXT,
  started_at INTEGER,
  finished_at INTEGER,
  answered_model TEXT,
  finish_reason TEXT,
  prompt_tokens INTEGER NOT NULL DEFAULT 0,
  completion_tokens INTEGER NOT NULL DEFAULT 0,
  reasoning_tokens INTEGER NOT NULL DEFAULT 0,
  cached_tokens INTEGER NOT NULL DEFAULT 0,
  cost_picousd INTEGER NOT NULL DEFAULT 0, -- sum over all attempts (billed failures included)
  cost_source TEXT,                    -- reported | estimated | (later: cached, reconciled)
  latency_ms INTEGER,
  error_category TEXT,
  error_message TEXT,
  UNIQUE (batch_id, custom_id)
);
CREATE INDEX jobs_by_state ON jobs(state, batch_id, id);

CREATE TABLE attempts (
  id INTEGER PRIMARY KEY,
  job_id INTEGER NOT NULL REFERENCES jobs(id),
  runner_id TEXT,
  started_at INTEGER NOT NULL,
  latency_ms INTEGER,
  status_code INTEGER,
  error_category TEXT,
  error_message TEXT,
  generation_id TEXT,
  prompt_tokens INTEGER,
  completion_tokens INTEGER,
  reasoning_tokens INTEGER,
  cached_tokens INTEGER,
  cost_picousd INTEGER,
  cost_source TEXT
);
CREATE INDEX attempts_by_job ON attempts(job_id);

CREATE TABLE results (
  job_id INTEGER PRIMARY KEY REFERENCES jobs(id),
  response TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE runners (
  id TEXT PRIMARY KEY,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  heartbeat_at INTEGER NOT NULL
);

CREATE TABLE models (
  id TEXT PRIMARY KEY,
  name TEXT,
  prompt_per_million TEXT,
  completion_per_million TEXT,
  context_length INTEGER,
  max_completion_tokens INTEGER,
  fetched_at INTEGER NOT NULL
);
