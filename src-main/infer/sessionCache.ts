/**
 * Open onnxruntime sessions, one per installed package. Opening one costs tens of milliseconds, and a
 * retrained or re-imported package replaces its files in place, so the key carries what would change
 * with it (folder, creation time, version and the int8 model's digest). A session that failed to open is
 * forgotten, so the next request tries again.
 */
import type { CatalogEntry } from '../models/catalog';
import { openModelSession, type ModelSession } from './modelSession';

export type SessionCache = (entry: CatalogEntry) => Promise<ModelSession>;

export function modelSessionCache(): SessionCache {
  const sessions = new Map<string, Promise<ModelSession>>();
  return (entry) => {
    const key = `${entry.dir}|${entry.meta.createdAt}|${entry.meta.version}|${entry.meta.sha256?.[entry.meta.files.int8Onnx] ?? ''}`;
    let s = sessions.get(key);
    if (!s) {
      s = openModelSession(entry.dir);
      s.catch(() => sessions.delete(key));
      sessions.set(key, s);
    }
    return s;
  };
}
