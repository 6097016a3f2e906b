/**
 * Numbered schema migrations. PRAGMA user_version holds the number of the last one
 * applied; append new ones at the end and never edit a released one.
 */
export const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'tracking',
    sql: `
CREATE TABLE experiments (
  experiment_id     INTEGER PRIMARY KEY,
  name              TEXT NOT NULL UNIQUE,
  artifact_location TEXT NOT NULL,
  lifecycle_stage   TEXT NOT NULL DEFAULT 'active',
  creation_time     INTEGER NOT NULL,
  last_update_time  INTEGER NOT NULL
);
CREATE TABLE experiment_tags (
  experiment_id INTEGER NOT NULL,
  key           TEXT NOT NULL,
  value         TEXT NOT NULL,
  PRIMARY KEY (experiment_id, key)
) WITHOUT ROWID;
CREATE TABLE runs (
  run_uuid        TEXT PRIMARY KEY,
  name            TEXT NOT NULL,
  experiment_id   INTEGER NOT NULL,
  user_id         TEXT NOT NULL,
  status          TEXT NOT NULL,
  start_time      INTEGER NOT NULL,
  end_time        INTEGER,
  lifecycle_stage TEXT NOT NULL DEFAULT 'active',
  artifact_uri    TEXT NOT NULL,
  deleted_time    INTEGER
);
CREATE INDEX runs_by_experiment ON runs (experiment_id, start_time);
CREATE TABLE params (
  run_uuid TEXT NOT NULL,
  key      TEXT NOT NULL,
  value    TEXT NOT NULL,
  PRIMARY KEY (run_uuid, key)
) WITHOUT ROWID;
CREATE INDEX params_by_key ON params (key, value);
CREATE TABLE tags (
  run_uuid TEXT NOT NULL,
  key      TEXT NOT NULL,
  value    TEXT NOT NULL,
  PRIMARY KEY (run_uuid, key)
) WITHOUT ROWID;
CREATE INDEX tags_by_key ON tags (key, value);
-- Every logged point. NaN is stored as value NULL with is_nan = 1 (SQLite turns NaN into NULL).
CREATE TABLE metrics (
  run_uuid  TEXT NOT NULL,
  key       TEXT NOT NULL,
  value     REAL,
  is_nan    INTEGER NOT NULL DEFAULT 0,
  step      INTEGER NOT NULL DEFAULT 0,
  timestamp INTEGER NOT NULL
);
CREATE INDEX metrics_by_run_key ON metrics (run_uuid, key, step);
-- The latest point per (run, key): highest step, then latest timestamp, then largest value.
CREATE TABLE latest_metrics (
  run_uuid  TEXT NOT NULL,
  key       TEXT NOT NULL,
  value     REAL,
  is_nan    INTEGER NOT NULL DEFAULT 0,
  step      INTEGER NOT NULL,
  timestamp INTEGER NOT NULL,
  PRIMARY KEY (run_uuid, key)
) WITHOUT ROWID;
CREATE INDEX latest_metrics_by_key ON latest_metrics (key, value);
CREATE TABLE datasets (
  dataset_id    INTEGER PRIMARY KEY,
  experiment_id INTEGER NOT NULL,
  name          TEXT NOT NULL,
  digest        TEXT NOT NULL,
  source_type   TEXT NOT NULL,
  source        TEXT NOT NULL,
  schema        TEXT,
  profile       TEXT,
  UNIQUE (experiment_id, name, digest)
);
CREATE TABLE inputs (
  run_uuid   TEXT NOT NULL,
  dataset_id INTEGER NOT NULL,
  context    TEXT,
  PRIMARY KEY (run_uuid, dataset_id)
) WITHOUT ROWID;
CREATE INDEX inputs_by_dataset ON inputs (dataset_id);
`,
  },
  {
    version: 2,
    name: 'model registry',
    sql: `
CREATE TABLE registered_models (
  name              TEXT PRIMARY KEY,
  description       TEXT NOT NULL DEFAULT '',
  creation_time     INTEGER NOT NULL,
  last_updated_time INTEGER NOT NULL,
  -- Version numbers are never reused, even after a version is deleted.
  next_version      INTEGER NOT NULL DEFAULT 1
) WITHOUT ROWID;
CREATE TABLE registered_model_tags (
  name  TEXT NOT NULL,
  key   TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (name, key)
) WITHOUT ROWID;
CREATE TABLE model_versions (
  name              TEXT NOT NULL,
  version           INTEGER NOT NULL,
  description       TEXT NOT NULL DEFAULT '',
  creation_time     INTEGER NOT NULL,
  last_updated_time INTEGER NOT NULL,
  user_id           TEXT NOT NULL,
  source            TEXT NOT NULL,
  run_id            TEXT,
  status            TEXT NOT NULL DEFAULT 'READY',
  storage_location  TEXT NOT NULL,
  sha256            TEXT NOT NULL,
  size              INTEGER NOT NULL,
  ir_version        INTEGER NOT NULL,
  opset             TEXT NOT NULL,
  producer          TEXT NOT NULL,
  signature         TEXT NOT NULL,
  labels            TEXT,
  preprocess        TEXT,
  PRIMARY KEY (name, version)
) WITHOUT ROWID;
CREATE INDEX model_versions_by_run ON model_versions (run_id);
CREATE INDEX model_versions_by_sha ON model_versions (sha256);
CREATE TABLE model_version_tags (
  name    TEXT NOT NULL,
  version INTEGER NOT NULL,
  key     TEXT NOT NULL,
  value   TEXT NOT NULL,
  PRIMARY KEY (name, version, key)
) WITHOUT ROWID;
CREATE TABLE registered_model_aliases (
  name    TEXT NOT NULL,
  alias   TEXT NOT NULL,
  version INTEGER NOT NULL,
  PRIMARY KEY (name, alias)
) WITHOUT ROWID;
`,
  },
  {
    version: 3,
    name: 'inference log',
    // One row per input row (an image counts as one), so drift reads columns straight from the
    // rows of a window and retention counts what --log-max-rows counts. A request's shadow and
    // primary answers share its request_id; feedback is kept apart, keyed by that id, so one
    // label scores both answers and lives no longer than the rows it labels. Request ids are
    // looked up through request_key, a 53-bit hash: an index of random text ids costs several
    // times more per logged row (every commit dirties pages all over it).
    sql: `
CREATE TABLE inference_columns (
  columns_id INTEGER PRIMARY KEY,
  names      TEXT NOT NULL UNIQUE
);
CREATE TABLE inference_log (
  id          INTEGER PRIMARY KEY,
  request_key INTEGER NOT NULL,
  request_id  TEXT NOT NULL,
  row_index   INTEGER NOT NULL,
  timestamp   INTEGER NOT NULL,
  model       TEXT NOT NULL,
  version     INTEGER,
  variant     TEXT NOT NULL,
  shadow      INTEGER NOT NULL DEFAULT 0,
  route       TEXT NOT NULL,
  latency_ms  REAL NOT NULL,
  columns_id  INTEGER,
  input       TEXT,
  prediction  TEXT NOT NULL
);
CREATE INDEX inference_log_by_model_time ON inference_log (model, timestamp);
CREATE INDEX inference_log_by_request ON inference_log (request_key);
-- label has no declared type: a class name stays text and a regression target a number.
-- matched = 0 keeps unknown request ids, so monitors can count them.
CREATE TABLE inference_feedback (
  request_id  TEXT PRIMARY KEY,
  request_key INTEGER NOT NULL,
  label,
  timestamp   INTEGER NOT NULL,
  matched     INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX inference_feedback_by_time ON inference_feedback (matched, timestamp);
`,
  },
  {
    version: 4,
    name: 'model version stages',
    // MLflow's deprecated but still used stages (None, Staging, Production, Archived), beside aliases.
    sql: `ALTER TABLE model_versions ADD COLUMN current_stage TEXT NOT NULL DEFAULT 'None';`,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
