import type { ApprovalRecord } from '../../customer-plane/approvals/store.ts';

/**
 * A stored approval as the console, the CLI and the deadline logic read it: a pending push of the fixer
 * in the sandbox, asked at 09:59, warned at 10:50, expiring at 11:00 (2026-12-01, UTC). Tests override
 * what they are about.
 */
export function approvalRecord(over: Partial<ApprovalRecord> = {}): ApprovalRecord {
  return {
    id: '01JZ8Q4T5V6W7X8Y9Z0A1B2C3D',
    runId: '01JZ8Q4T5V6W7X8Y9Z0A1B2C3E',
    stepId: '01JZ8Q4T5V6W7X8Y9Z0A1B2C3F',
    seq: 4,
    agent: 'fixer',
    tool: 'run_command',
    reason: 'consequential_action',
    consequences: ['pushes', 'network'],
    environment: 'sandbox',
    autonomy: 'assisted',
    preview: { tool: 'run_command', argv: [['git', 'push']], cwd: '/ws/one' },
    status: 'pending',
    createdAt: '2026-12-01T09:59:00.000Z',
    warnAt: '2026-12-01T10:50:00.000Z',
    deadlineAt: '2026-12-01T11:00:00.000Z',
    warnedAt: null,
    decidedAt: null,
    decidedBy: null,
    note: null,
    ...over,
  };
}
