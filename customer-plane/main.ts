import { loadConfig } from '../shared/config.ts';
import { createLogger } from '../shared/log.ts';
import { ConfigError } from '../shared/errors.ts';
import { customerPlaneEnvSchema } from './config.ts';
import { createCustomerPlane } from './create-customer-plane.ts';
import { EnrollmentError } from './enroll.ts';
import { startInstrumentation } from './instrumentation.ts';

async function main(): Promise<void> {
  const env = loadConfig('customer-plane', customerPlaneEnvSchema);
  const log = createLogger({ service: 'customer-plane', level: env.LOG_LEVEL });
  // OTEL first, so every instrument created later reports; its vendor-bound output goes through egress.
  const telemetry = startInstrumentation({ otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT, boundaryIntervalMs: env.BOUNDARY_METRICS_INTERVAL_MS });
  const plane = await createCustomerPlane({ env, log }).catch(async (err: unknown) => {
    await telemetry.shutdown();
    throw err;
  });
  telemetry.connect((kind, event) => plane.egress.emit(kind, event));
  log.info({ tenant: env.TENANT_ID, kid: plane.kid }, 'customer plane running');
  process.stdout.write(`${JSON.stringify({ event: 'ready', tenant: env.TENANT_ID, kid: plane.kid })}\n`);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'draining and shutting down');
    await telemetry.flush();
    await plane.stop();
    await telemetry.shutdown();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err) => {
  if (err instanceof ConfigError || err instanceof EnrollmentError) {
    process.stderr.write(`customer-plane: ${err.message}\n`);
    process.exit(78);
  }
  process.stderr.write(`customer-plane failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
