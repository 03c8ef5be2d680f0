import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { generateSigningJwk } from '../../shared/tokens.ts';
import { createLogger } from '../../shared/log.ts';
import { controlPlaneEnvSchema } from '../../control-plane/config.ts';
import { createControlPlane, type ControlPlane } from '../../control-plane/create-control-plane.ts';
import { createTestDatabase } from '../../scripts/topology/scratch-database.ts';

/**
 * The control plane in this process (its embedded hub is still a real nats-server), with its own
 * database and state dir, and every log line captured. For HTTP-level tests that need no leaf.
 */
export async function startInProcessControlPlane(env: Record<string, string> = {}): Promise<{
  cp: ControlPlane;
  url: string;
  stateDir: string;
  logs(): string;
  operatorToken(): Promise<string>;
  stop(): Promise<void>;
}> {
  const db = await createTestDatabase('cp');
  const stateDir = mkdtempSync(join(tmpdir(), 'cp-state-'));
  let captured = '';
  const sink = new Writable({
    write(chunk, _enc, cb) {
      captured += chunk.toString();
      cb();
    },
  });
  try {
    const parsed = controlPlaneEnvSchema.parse({
      DATABASE_URL: db.url,
      CONTROL_PLANE_TOKEN_KEYS: JSON.stringify([await generateSigningJwk()]),
      PORT: '0',
      STATE_DIR: stateDir,
      ...env,
    });
    const cp = await createControlPlane({
      env: parsed,
      log: createLogger({ service: 'control-plane', level: 'debug', destination: sink }),
    });
    const url = await cp.listen();
    return {
      cp,
      url,
      stateDir,
      logs: () => captured,
      operatorToken: () => cp.issuer.issue({ typ: 'operator', tenant: '*', ttlSeconds: 600 }),
      async stop() {
        await cp.stop();
        await db.drop();
        rmSync(stateDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await db.drop();
    rmSync(stateDir, { recursive: true, force: true });
    throw err;
  }
}
