-- promptbatch schema, version 2: per-job estimates for `estimate` and `run --budget`, and the
-- budgets runs were given. Money is INTEGER pico-USD, times INTEGER unix epoch milliseconds.

-- Estimated prompt tokens of one attempt (see JobEstimate); NULL for jobs submitted before
-- version 2, whose estimate is computed from `request` when needed.
ALTER TABLE jobs ADD COLUMN estimated_prompt_tokens INTEGER;
-- The request's max_tokens (or max_completion_tokens); NULL when it sets none.
ALTER TABLE jobs ADD COLUMN max_completion_tokens INTEGER;

-- One row per `run --budget`: the limit it was given and, once it ended, what it spent and why
-- it stopped. While it runs (or after it died) its spend is the sum of its attempts.
CREATE TABLE budgets (
  id INTEGER PRIMARY KEY,
  runner_id TEXT NOT NULL,
  batch_id INTEGER,                    -- the run's scope; NULL for every batch
  limit_picousd INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  spent_picousd INTEGER,               -- set when the run ends
  stop_reason TEXT                     -- drained | budget | halted | interrupted | failed
);
