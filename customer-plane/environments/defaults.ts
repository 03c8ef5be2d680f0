import { TEMPLATES } from '../../shared/boundary.ts';
import type { Environment } from './schema.ts';

/**
 * The environments a customer plane has when ENVIRONMENTS_FILE is not set. Production runs nothing
 * until templates are pinned there as reviewed, and asks before every write.
 */
export const DEFAULT_ENVIRONMENTS: readonly Environment[] = Object.freeze([
  {
    name: 'sandbox',
    secrets: { prefix: 'sandbox/' },
    templates: TEMPLATES,
    approval: { deadlineSeconds: 3600, warnBeforeSeconds: 300 },
    writes: 'allow',
    actAloneFrom: 'assisted',
  },
  {
    name: 'preview',
    secrets: { prefix: 'preview/' },
    templates: TEMPLATES,
    approval: { deadlineSeconds: 3600, warnBeforeSeconds: 300 },
    writes: 'allow',
    actAloneFrom: 'autonomous',
  },
  {
    name: 'production',
    secrets: { prefix: 'production/' },
    templates: TEMPLATES,
    approval: { deadlineSeconds: 4 * 3600, warnBeforeSeconds: 900 },
    writes: 'ask',
    actAloneFrom: 'autonomous',
    reviewed: {},
  },
]);
