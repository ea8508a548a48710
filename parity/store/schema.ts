/** DDL of parity.sqlite. Bump SCHEMA_VERSION and add a step when a table changes. */
export const SCHEMA_VERSION = 1;

export const SCHEMA_V1 = `
CREATE TABLE IF NOT EXISTS comparisons (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  method TEXT NOT NULL,
  connection_id TEXT NOT NULL,
  expected_ok INTEGER NOT NULL,
  actual_ok INTEGER,
  expected_ms REAL NOT NULL,
  actual_ms REAL,
  failure TEXT,
  signature TEXT NOT NULL,
  difference_count INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS comparisons_kind_method_at ON comparisons(kind, method, at);
CREATE INDEX IF NOT EXISTS comparisons_at ON comparisons(at);

CREATE TABLE IF NOT EXISTS samples (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  params TEXT,
  expected TEXT,
  actual TEXT,
  differences TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS samples_method_path ON samples(method, path);
CREATE INDEX IF NOT EXISTS samples_at ON samples(at);

CREATE TABLE IF NOT EXISTS latency (
  method TEXT NOT NULL,
  backend TEXT NOT NULL,
  hour INTEGER NOT NULL,
  bin INTEGER NOT NULL,
  count INTEGER NOT NULL,
  errors INTEGER NOT NULL,
  PRIMARY KEY (method, backend, hour, bin)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS noise_probes (
  method TEXT PRIMARY KEY,
  probes INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS noise_paths (
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  kind TEXT NOT NULL,
  differences INTEGER NOT NULL,
  PRIMARY KEY (method, path, kind)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS replay_runs (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  target TEXT NOT NULL,
  source TEXT
);
CREATE TABLE IF NOT EXISTS replay_results (
  run_id INTEGER NOT NULL REFERENCES replay_runs(id) ON DELETE CASCADE,
  method TEXT NOT NULL,
  passed INTEGER NOT NULL,
  failed INTEGER NOT NULL,
  first_failure TEXT,
  PRIMARY KEY (run_id, method)
);

CREATE TABLE IF NOT EXISTS counters (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
`;
