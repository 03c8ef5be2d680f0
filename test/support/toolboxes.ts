import type { ToolName } from '../../shared/boundary.ts';
import type { ToolInput, ToolResult } from '../../agents/tools.ts';
import type { ToolBox } from '../../agents/types.ts';

/**
 * A toolbox that answers some tools itself and hands the rest to another: recorded command outputs,
 * a git that answers, a gate that refuses. For the agents' tests only; the real gate is in
 * customer-plane/gate/.
 */
export function overrideTools(
  base: ToolBox,
  answers: Partial<Record<ToolName, (input: any) => ToolResult | Promise<ToolResult>>>,
  seen: Array<{ tool: ToolName; input: unknown }> = [],
): ToolBox {
  return {
    async call<T extends ToolName>(tool: T, input: ToolInput<T>): Promise<ToolResult> {
      seen.push({ tool, input });
      const answer = answers[tool];
      return answer ? answer(input) : base.call(tool, input);
    },
  };
}

export const ok = (output: string, data?: unknown): ToolResult => ({ ok: true, output, ...(data === undefined ? {} : { data }) });
export const denied = (reason: string): ToolResult => ({ ok: false, decision: 'deny', reason, message: `refused: ${reason}` });
