import { loadConfig } from '../shared/config.ts';
import { createLogger } from '../shared/log.ts';
import { runService } from '../shared/service-main.ts';
import { controlPlaneEnvSchema } from './config.ts';
import { createControlPlane } from './create-control-plane.ts';
import { startInstrumentation } from './instrumentation.ts';

runService('control-plane', async () => {
  const env = loadConfig('control-plane', controlPlaneEnvSchema);
  const log = createLogger({ service: 'control-plane', level: env.LOG_LEVEL });
  // Metrics first: instruments created before a meter provider exists would stay no-ops.
  const telemetry = await startInstrumentation({
    metricsHost: env.METRICS_HOST,
    metricsPort: env.METRICS_PORT,
    otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
  });
  try {
    const cp = await createControlPlane({ env, log });
    // A port already taken must not leave the embedded hub and the workers running.
    const url = await cp.listen().catch(async (err: unknown) => {
      await cp.stop();
      throw err;
    });
    log.info({ url, metricsUrl: telemetry.metricsUrl }, 'control plane listening');
    return {
      log,
      ready: { event: 'listening', url, ...(telemetry.metricsUrl ? { metricsUrl: telemetry.metricsUrl } : {}) },
      async stop() {
        try {
          await cp.stop();
        } finally {
          await telemetry.shutdown();
        }
      },
    };
  } catch (err) {
    await telemetry.shutdown();
    throw err;
  }
});
