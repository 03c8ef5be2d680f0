// Runs one of the bundle CLIs as customers and the release job do: a Node subprocess on the .ts file.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../tf-json.ts';

export const BUNDLE = join(repoRoot, 'terraform', 'bundle');

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** A clean environment: no AGENTPLANE_* key variables leak in from the shell. */
export function cli(script: string, args: string[], extraEnv: Record<string, string> = {}): Promise<Result> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AGENTPLANE_') && v !== undefined) env[k] = v;
  return new Promise((resolve) => {
    execFile(process.execPath, [join(BUNDLE, script), ...args], { env: { ...env, ...extraEnv } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}
