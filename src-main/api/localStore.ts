/**
 * The data folder's store, opened on first use and shared by every handler group: one connection per
 * app process, so the Retrain wizard's runs and the Devices page's deployment history are one database.
 * An app that never retrains or deploys never creates it.
 */
import { openStore, type Store } from '../store/store';

export type LocalStore = () => Store;

export function lazyLocalStore(dataDir: string): LocalStore {
  let store: Store | undefined;
  return () => (store ??= openStore({ dataDir }));
}
