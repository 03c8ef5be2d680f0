import type { TemplateName } from '../../shared/boundary.ts';
import type { WorkflowTemplate } from '../types.ts';

const codeReview: WorkflowTemplate = {
  name: 'code-review',
  description: 'Index the repository, then review it.',
  steps: [
    { id: 'index', agent: 'indexer', needs: [] },
    { id: 'review', agent: 'reviewer', needs: ['index'] },
  ],
};

const indexOnly: WorkflowTemplate = {
  name: 'index-only',
  description: 'Index the repository (no LLM).',
  steps: [{ id: 'index', agent: 'indexer', needs: [] }],
};

/** The workflow templates this release ships, by name from the boundary's closed list. */
export const TEMPLATE_DEFINITIONS: Partial<Record<TemplateName, WorkflowTemplate>> = {
  'code-review': codeReview,
  'index-only': indexOnly,
};
