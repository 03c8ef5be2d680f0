import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { AgentplaneError } from '../../shared/errors.ts';
import type { SecretBackend } from './store.ts';

/** The secrets file cannot be used: readable by others, or not a JSON object of strings. */
export class SecretFileError extends AgentplaneError {}

/**
 * The embedded default: one JSON file, mode 0600, in a 0700 folder. It refuses to read a file that
 * others can read, because that means the secrets already leaked on this host. Every call reads the
 * file again (nothing is kept in memory between calls); writes replace it atomically.
 */
export function createFileSecretStore(path: string): SecretBackend {
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
      throw new SecretFileError(
        'secret_file_exposed',
        `secret file ${path} is readable by others (mode ${(st.mode & 0o777).toString(8)}); fix with chmod 600`,
      );
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new SecretFileError('secret_file_invalid', `secret file ${path} is not valid JSON`, { cause: err });
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || Object.values(parsed).some((v) => typeof v !== 'string'))
      throw new SecretFileError('secret_file_invalid', `secret file ${path} must hold one JSON object of string values`);
    return parsed as Record<string, string>;
  };
  const save = (all: Record<string, string>) => {
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
  };
  return {
    async get(id) {
      const all = load();
      return Object.hasOwn(all, id) ? all[id] : undefined;
    },
    async put(id, value) {
      save({ ...load(), [id]: value });
    },
    async delete(id) {
      const all = load();
      if (!Object.hasOwn(all, id)) return;
      delete all[id];
      save(all);
    },
    async list(prefix) {
      return Object.keys(load()).filter((id) => id.startsWith(prefix));
    },
  };
}
