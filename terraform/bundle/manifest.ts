// The bundle manifest: every file of terraform/dist with its SHA-256, in a fixed order, so the same
// files always produce the same bytes (and, Ed25519 being deterministic, the same signature).
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { z } from 'zod';
import { BundleFileError } from './errors.ts';

export const MANIFEST_JSON = 'MANIFEST.json';
export const MANIFEST_JWS = 'MANIFEST.jws';
export const MANIFEST_FORMAT = 'agentplane-terraform-bundle/v1';
/** JWS `typ`: a signature over something else with the same key is not accepted as a bundle manifest. */
export const JWS_TYPE = 'agentplane-bundle-manifest+jws';

const fileEntry = z.object({
  path: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
});
export const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  product: z.string(),
  version: z.string(),
  files: z.array(fileEntry),
});
export type Manifest = z.infer<typeof manifestSchema>;
export type FileEntry = z.infer<typeof fileEntry>;

/** Relative POSIX paths of every regular file under dir, sorted, without the manifest files themselves. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      const st = lstatSync(full);
      const rel = relative(dir, full).split(sep).join('/');
      // A symlink could point the signed name at unsigned content outside the bundle.
      if (st.isSymbolicLink()) throw new BundleFileError(`symbolic link in bundle: ${rel}`);
      if (st.isDirectory()) walk(full);
      else if (st.isFile() && rel !== MANIFEST_JSON && rel !== MANIFEST_JWS) out.push(rel);
    }
  };
  walk(dir);
  return out.sort();
}

export function hashFile(path: string): { sha256: string; bytes: number } {
  const data = readFileSync(path);
  return { sha256: createHash('sha256').update(data).digest('hex'), bytes: data.length };
}

export function buildManifest(dir: string, product: string, version: string): Manifest {
  const files = listFiles(dir).map((path) => ({ path, ...hashFile(join(dir, path)) }));
  return { format: MANIFEST_FORMAT, product, version, files };
}

export function serializeManifest(m: Manifest): string {
  return `${JSON.stringify(m, null, 2)}\n`;
}

export type Mismatch = { kind: 'modified'; path: string } | { kind: 'missing'; path: string } | { kind: 'unexpected'; path: string };

/** Differences between the signed manifest and the directory, in path order; empty when they match. */
export function compare(dir: string, m: Manifest): Mismatch[] {
  const signed = new Map(m.files.map((f) => [f.path, f]));
  const present = new Set(listFiles(dir));
  const all = [...new Set([...signed.keys(), ...present])].sort();
  const out: Mismatch[] = [];
  for (const path of all) {
    const entry = signed.get(path);
    if (!entry) out.push({ kind: 'unexpected', path });
    else if (!present.has(path)) out.push({ kind: 'missing', path });
    else {
      const actual = hashFile(join(dir, path));
      if (actual.sha256 !== entry.sha256 || actual.bytes !== entry.bytes) out.push({ kind: 'modified', path });
    }
  }
  return out;
}
