/**
 * The local data store: one SQLite database (WAL mode, so readers never wait for the writer and a crash
 * never corrupts committed data) beside a content-addressed blob folder. Everything the Retrain wizard
 * remembers lives here: participants, recordings, labels, data sets, models, training runs, deployments
 * and background jobs.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { resolveAppPaths } from '../storage/appPaths';
import { migrate, MIGRATIONS, schemaVersion } from './migrations';

export interface Store {
  readonly db: Database.Database;
  readonly dataDir: string;
  readonly file: string;
  readonly blobsDir: string;
  close(): void;
}

export interface StoreOptions {
  /** Defaults to the app's data directory (TINYM2_DATA_DIR, Electron's userData or the XDG data dir). */
  readonly dataDir?: string;
  /** Defaults to `<dataDir>/store.sqlite`. */
  readonly file?: string;
  readonly blobsDir?: string;
}

export function openStore(options: StoreOptions = {}): Store {
  const dataDir = options.dataDir ?? resolveAppPaths().dataDir;
  const file = options.file ?? join(dataDir, 'store.sqlite');
  const blobsDir = options.blobsDir ?? join(dataDir, 'blobs');
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(blobsDir, { recursive: true });
  let db: Database.Database;
  try {
    db = new Database(file);
  } catch (e) {
    throw new Error(`${file}: cannot open the store (${(e as Error).message})`);
  }
  try {
    db.pragma('journal_mode = WAL');
    // NORMAL is WAL's recommended level: never corrupt, durable against a killed process; a power cut may
    // lose the last commits (their blobs, fsynced first, remain as unreferenced blobs the next import
    // reuses). FULL would fsync on every commit, ~5-10 ms that the UI's event loop cannot spare.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    // Another process (the CLI, a job) may hold the write lock briefly.
    db.pragma('busy_timeout = 5000');
    const known = MIGRATIONS.at(-1)!.version;
    const found = schemaVersion(db);
    if (found > known) throw new Error(`${file}: the store has schema version ${found}, newer than this app understands (${known}); update TinyM2 Studio`);
    migrate(db);
  } catch (e) {
    db.close();
    throw e;
  }
  return { db, dataDir, file, blobsDir, close: () => db.close() };
}

/** ISO time for rows; one place so tests and rows agree on the format. */
export function nowIso(): string {
  return new Date().toISOString();
}
