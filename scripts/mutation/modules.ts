import type { MutationModule } from './commands.ts';
import { ACCESS_MODULES } from './modules/access.ts';
import { BOUNDARY_MODULES } from './modules/boundary.ts';
import { DURABILITY_MODULES } from './modules/durability.ts';
import { GATE_MODULES } from './modules/gate.ts';
import { RUNTIME_MODULES } from './modules/runtime.ts';

export type { MutationModule } from './commands.ts';

/** Every module `npm run mutate` knows, grouped by the part of SECURITY.md they prove (one file per group). */
export const MODULES: MutationModule[] = [
  ...BOUNDARY_MODULES,
  ...ACCESS_MODULES,
  ...GATE_MODULES,
  ...RUNTIME_MODULES,
  ...DURABILITY_MODULES,
];
