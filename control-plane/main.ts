import { loadConfig } from '../shared/config.ts';
import { createLogger } from '../shared/log.ts';
import { runService } from '../shared/service-main.ts';
import { controlPlaneEnvSchema } from './config.ts';
import { createControlPlane } from './create-control-plane.ts';

runService('control-plane', async () => {
  const env = loadConfig('control-plane', controlPlaneEnvSchema);
  const log = createLogger({ service: 'control-plane', level: env.LOG_LEVEL });
  const cp = await createControlPlane({ env, log });
  const url = await cp.listen();
  log.info({ url }, 'control plane listening');
  return { log, ready: { event: 'listening', url }, stop: () => cp.stop() };
});
