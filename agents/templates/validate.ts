import type { AgentName } from '../../shared/boundary.ts';
import type { AgentDefinition, WorkflowTemplate } from '../types.ts';

/**
 * The problems that make a template unrunnable: duplicate step ids, a step that needs an unknown
 * step or itself, an agent missing from the catalog, and a cycle. Empty when the template is a DAG
 * over catalog agents. Also returns the steps in an order that respects `needs` (Kahn's algorithm).
 */
export function validateTemplate(
  template: WorkflowTemplate,
  catalog: Partial<Record<AgentName, AgentDefinition>>,
): { problems: string[]; order: string[] } {
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const step of template.steps) {
    if (ids.has(step.id)) problems.push(`step id ${step.id} is used twice`);
    ids.add(step.id);
    if (!catalog[step.agent]) problems.push(`step ${step.id} uses agent ${step.agent}, which is not in the catalog`);
  }
  for (const step of template.steps) {
    for (const need of step.needs) {
      if (need === step.id) problems.push(`step ${step.id} needs itself`);
      else if (!ids.has(need)) problems.push(`step ${step.id} needs unknown step ${need}`);
    }
  }
  const indegree = new Map(template.steps.map((s) => [s.id, s.needs.filter((n) => ids.has(n) && n !== s.id).length]));
  const ready = template.steps.filter((s) => indegree.get(s.id) === 0).map((s) => s.id);
  const order: string[] = [];
  while (ready.length > 0) {
    const id = ready.shift()!;
    order.push(id);
    for (const s of template.steps) {
      if (!s.needs.includes(id)) continue;
      const left = indegree.get(s.id)! - 1;
      indegree.set(s.id, left);
      if (left === 0) ready.push(s.id);
    }
  }
  if (order.length < new Set(template.steps.map((s) => s.id)).size) {
    problems.push(
      `steps ${template.steps
        .filter((s) => !order.includes(s.id))
        .map((s) => s.id)
        .join(', ')} form a cycle`,
    );
  }
  return { problems, order };
}
