import type { AgentName } from '../../shared/boundary.ts';
import type { AgentDefinition } from '../types.ts';
import { indexer } from './indexer.ts';
import { reviewer } from './reviewer.ts';

/** Every agent this release ships, by its name from the boundary's closed list. */
export const CATALOG: Partial<Record<AgentName, AgentDefinition>> = { indexer, reviewer };
