import { loadConfig } from '../shared/config.ts';
import { createLogger } from '../shared/log.ts';
import { runService } from '../shared/service-main.ts';
import { customerPlaneEnvSchema } from './config.ts';
import { createCustomerPlane } from './create-customer-plane.ts';
import { EnrollmentError } from './enroll.ts';
import { startInstrumentation } from './instrumentation.ts';
import { createSecretMasking } from './secrets/masking.ts';

runService(
  'customer-plane',
  async () => {
    const env = loadConfig('customer-plane', customerPlaneEnvSchema);
    // Log lines are masked with the secrets of the runs in progress, whatever field a value hides in.
    const masking = createSecretMasking();
    const log = createLogger({ service: 'customer-plane', level: env.LOG_LEVEL, rewriteLine: masking.maskJsonLine });
    // OTEL first, so every instrument created later reports; its vendor-bound output goes through egress.
    const telemetry = startInstrumentation({
      otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
      boundaryIntervalMs: env.BOUNDARY_METRICS_INTERVAL_MS,
    });
    const plane = await createCustomerPlane({ env, log, masking }).catch(async (err: unknown) => {
      await telemetry.shutdown();
      throw err;
    });
    telemetry.connect((kind, event) => plane.egress.emit(kind, event));
    log.info({ tenant: env.TENANT_ID, kid: plane.kid }, 'customer plane running');
    return {
      log,
      ready: { event: 'ready', tenant: env.TENANT_ID, kid: plane.kid },
      async stop() {
        try {
          await telemetry.flush();
          await plane.stop();
        } finally {
          await telemetry.shutdown();
        }
      },
    };
  },
  // An enrollment refusal (used token, wrong tenant, unreachable control plane) is the operator's to fix.
  { isOperatorError: (err) => err instanceof EnrollmentError },
);
