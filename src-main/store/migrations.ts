/**
 * The store's schema as numbered migrations. A database records the highest number applied in
 * `schema_version`; opening it applies the rest in order, each in its own transaction, so a crash
 * mid-upgrade leaves the database at the previous version rather than half-migrated. Never edit a
 * migration that has shipped: add the next number.
 */
import type { Database } from 'better-sqlite3';

export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'subjects, recordings, frames, labels, data sets, models, training runs, deployments',
    sql: `
      CREATE TABLE subjects (
        code TEXT PRIMARY KEY,            -- anonymous participant code, never a name
        created_at TEXT NOT NULL
      );
      CREATE TABLE recordings (
        id INTEGER PRIMARY KEY,
        sha256 TEXT NOT NULL,             -- the blob under blobs/ab/cdef…
        subject TEXT NOT NULL REFERENCES subjects(code),
        modality TEXT NOT NULL,
        source_path TEXT NOT NULL,
        byte_size INTEGER NOT NULL,
        duration_seconds REAL NOT NULL,
        sample_rate INTEGER NOT NULL,     -- the file's own rate; models resample on read
        channels INTEGER NOT NULL,
        quality TEXT NOT NULL,            -- JSON: issue codes and measures (takeQuality.ts)
        imported_at TEXT NOT NULL,
        UNIQUE (subject, modality, sha256)
      );
      CREATE INDEX recordings_sha256 ON recordings(sha256);
      CREATE TABLE frames (
        id INTEGER PRIMARY KEY,
        sha256 TEXT NOT NULL,
        subject TEXT NOT NULL REFERENCES subjects(code),
        modality TEXT NOT NULL,           -- 'depth' | 'thermal'
        source_path TEXT NOT NULL,
        byte_size INTEGER NOT NULL,
        width INTEGER,
        height INTEGER,
        quality TEXT NOT NULL,
        imported_at TEXT NOT NULL,
        UNIQUE (subject, modality, sha256)
      );
      CREATE INDEX frames_sha256 ON frames(sha256);
      CREATE TABLE labels (
        subject TEXT NOT NULL REFERENCES subjects(code),
        label_column TEXT NOT NULL,
        value TEXT NOT NULL,
        set_by TEXT NOT NULL,
        set_at TEXT NOT NULL,
        PRIMARY KEY (subject, label_column)
      );
      CREATE TABLE datasets (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        label_column TEXT,
        created_at TEXT NOT NULL
      );
      CREATE TABLE dataset_subjects (
        dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        subject TEXT NOT NULL REFERENCES subjects(code),
        PRIMARY KEY (dataset_id, subject)
      );
      CREATE TABLE training_runs (
        id INTEGER PRIMARY KEY,
        seed INTEGER NOT NULL,
        data_hashes TEXT NOT NULL,        -- JSON array of the blob hashes trained on, sorted
        recipe TEXT NOT NULL,             -- JSON: parameters and recipe
        code_version TEXT NOT NULL,
        metrics TEXT,                     -- JSON
        status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled')),
        started_at TEXT NOT NULL,
        finished_at TEXT
      );
      CREATE TABLE models (
        id TEXT NOT NULL,
        version TEXT NOT NULL,
        package_dir TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('current', 'candidate', 'rejected', 'deployed')),
        training_run_id INTEGER REFERENCES training_runs(id),
        created_at TEXT NOT NULL,
        PRIMARY KEY (id, version)
      );
      CREATE TABLE deployments (
        id INTEGER PRIMARY KEY,
        model_id TEXT NOT NULL,
        model_version TEXT NOT NULL,
        device TEXT NOT NULL,
        result TEXT NOT NULL CHECK (result IN ('succeeded', 'failed', 'rolled-back')),
        detail TEXT,
        deployed_at TEXT NOT NULL,
        FOREIGN KEY (model_id, model_version) REFERENCES models(id, version)
      );
    `,
  },
  {
    version: 2,
    description: 'background jobs with their queue position, progress and checkpoint',
    sql: `
      CREATE TABLE jobs (
        id INTEGER PRIMARY KEY,           -- also the FIFO order within a resource
        kind TEXT NOT NULL,
        resource TEXT NOT NULL,
        spec TEXT NOT NULL,               -- JSON JobSpec
        status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted')),
        progress TEXT,                    -- JSON: the last progress event
        checkpoint TEXT,                  -- JSON: where the job was (file and epochs done)
        result TEXT,                      -- JSON
        error TEXT,
        training_run_id INTEGER REFERENCES training_runs(id),
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT
      );
      CREATE INDEX jobs_status ON jobs(status, resource, id);
    `,
  },
  {
    version: 3,
    description: 'labelled depth + thermal frame pairs (pose labels are per frame, not per participant)',
    sql: `
      CREATE TABLE frame_pairs (
        id INTEGER PRIMARY KEY,
        subject TEXT NOT NULL REFERENCES subjects(code),
        frame_key TEXT NOT NULL,          -- the pair's name stem within its subject (e.g. 'f000042')
        depth_sha256 TEXT NOT NULL,       -- blob: the depth PNG's exact bytes
        thermal_sha256 TEXT NOT NULL,     -- blob: the thermal file's exact bytes
        thermal_encoding TEXT NOT NULL,   -- JSON ThermalEncoding (thermalFrame.ts): how to read the thermal bytes again
        load_options TEXT NOT NULL,       -- JSON: the depth ceiling and thermal range the frames were checked against
        label_column TEXT NOT NULL,       -- e.g. 'pose'
        label TEXT NOT NULL,
        depth_width INTEGER NOT NULL,
        depth_height INTEGER NOT NULL,
        thermal_width INTEGER NOT NULL,
        thermal_height INTEGER NOT NULL,
        depth_path TEXT NOT NULL,         -- where the files were imported from
        thermal_path TEXT NOT NULL,
        depth_bytes INTEGER NOT NULL,
        thermal_bytes INTEGER NOT NULL,
        quality TEXT NOT NULL,            -- JSON: missing-depth fraction, depth and temperature ranges
        imported_at TEXT NOT NULL,
        UNIQUE (subject, frame_key, depth_sha256, thermal_sha256)
      );
      CREATE INDEX frame_pairs_subject ON frame_pairs(subject, label_column);
      CREATE INDEX frame_pairs_depth_sha256 ON frame_pairs(depth_sha256);
      CREATE INDEX frame_pairs_thermal_sha256 ON frame_pairs(thermal_sha256);
    `,
  },
];

export function schemaVersion(db: Database): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL)');
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number | null };
  return row.v ?? 0;
}

/** Applies every migration above the database's version; returns the versions applied. */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
  const applied: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    // Re-read inside the transaction (IMMEDIATE takes the write lock) so two processes opening the
    // same fresh database cannot both apply a migration.
    db.transaction(() => {
      if (schemaVersion(db) >= m.version) return;
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)').run(m.version, new Date().toISOString());
      applied.push(m.version);
    }).immediate();
  }
  return applied;
}
