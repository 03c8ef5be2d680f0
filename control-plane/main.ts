import { loadConfig } from '../shared/config.ts';
import { createLogger } from '../shared/log.ts';
import { ConfigError } from '../shared/errors.ts';
import { controlPlaneEnvSchema } from './config.ts';
import { createControlPlane } from './create-control-plane.ts';

async function main(): Promise<void> {
  let env;
  try {
    env = loadConfig('control-plane', controlPlaneEnvSchema);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const log = createLogger({ service: 'control-plane', level: env.LOG_LEVEL });
  const cp = await createControlPlane({ env, log });
  const url = await cp.listen();
  log.info({ url }, 'control plane listening');
  // One line on stdout that supervisors (and the demo) can wait for.
  process.stdout.write(`${JSON.stringify({ event: 'listening', url })}\n`);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await cp.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(78);
  }
  process.stderr.write(`control-plane failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
