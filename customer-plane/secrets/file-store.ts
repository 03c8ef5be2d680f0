import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SecretName, SecretStore } from './store.ts';

/**
 * The embedded default: one JSON file, mode 0600, in a 0700 folder. It refuses to read a file that
 * others can read, because that means the secrets already leaked on this host.
 */
export function createFileSecretStore(path: string): SecretStore {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const load = (): Record<string, string> => {
    let st;
    try {
      st = statSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw err;
    }
    if ((st.mode & 0o077) !== 0)
      throw new Error(`secret file ${path} is readable by others (mode ${(st.mode & 0o777).toString(8)}); fix with chmod 600`);
    return JSON.parse(readFileSync(path, 'utf8'));
  };
  return {
    async get(name: SecretName) {
      return load()[name];
    },
    async put(name: SecretName, value: string) {
      const all = { ...load(), [name]: value };
      const tmp = `${path}.tmp`;
      const fd = openSync(tmp, 'w', 0o600);
      try {
        writeSync(fd, JSON.stringify(all));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      chmodSync(tmp, 0o600);
      renameSync(tmp, path);
    },
  };
}
