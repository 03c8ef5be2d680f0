import type { AgentName, TemplateName } from '../shared/boundary.ts';
import type { Agent } from './types.ts';
import { indexer } from './indexer.ts';
import { reviewer } from './reviewer.ts';

/** The agents this release ships; names come from the boundary's closed list. */
export const AGENTS: Partial<Record<AgentName, Agent>> = { indexer, reviewer };

/** Workflow templates: the ordered agents a run executes. */
export const TEMPLATE_STEPS: Partial<Record<TemplateName, AgentName[]>> = {
  'code-review': ['indexer', 'reviewer'],
  'index-only': ['indexer'],
};
