import type { TemplateName } from '../../shared/boundary.ts';
import type { WorkflowTemplate } from '../types.ts';

/**
 * The workflow templates: DAGs of steps. Steps with no path between them run in parallel (the
 * scanners); an LLM step `needs` the scanners whose findings it consumes; a step that writes to the
 * workspace (patch-applier) comes after the step that proposed the patches, and a second test run
 * after that checks the result.
 */

const codeReview: WorkflowTemplate = {
  name: 'code-review',
  description:
    'Index and scan the repository in parallel (secrets, injection, lint, complexity), then an LLM review that builds on the findings.',
  steps: [
    { id: 'index', agent: 'indexer', needs: [] },
    { id: 'secrets', agent: 'secret-scanner', needs: [] },
    { id: 'injection', agent: 'injection-scanner', needs: [] },
    { id: 'lint', agent: 'lint-runner', needs: [] },
    { id: 'complexity', agent: 'complexity-analyzer', needs: [] },
    { id: 'review', agent: 'reviewer', needs: ['index', 'secrets', 'injection', 'lint', 'complexity'] },
  ],
};

const indexOnly: WorkflowTemplate = {
  name: 'index-only',
  description: 'Index the repository: files, languages, symbols (no LLM).',
  steps: [{ id: 'index', agent: 'indexer', needs: [] }],
};

const securityAudit: WorkflowTemplate = {
  name: 'security-audit',
  description:
    'Secret, injection, dependency and configuration scanners in parallel; an LLM security review triages them and looks further; the fixer proposes patches (not applied).',
  steps: [
    { id: 'index', agent: 'indexer', needs: [] },
    { id: 'secrets', agent: 'secret-scanner', needs: [] },
    { id: 'injection', agent: 'injection-scanner', needs: [] },
    { id: 'dependencies', agent: 'dependency-auditor', needs: [] },
    { id: 'config', agent: 'config-auditor', needs: [] },
    { id: 'security-review', agent: 'security-reviewer', needs: ['index', 'secrets', 'injection', 'dependencies', 'config'] },
    { id: 'fix', agent: 'fixer', needs: ['secrets', 'injection', 'security-review'] },
  ],
};

const diagnoseAndFix: WorkflowTemplate = {
  name: 'diagnose-and-fix',
  description:
    'Run the tests; the diagnoser finds the root cause of each failure; the fixer patches it; the patches are applied and the tests run again; the change is summarized.',
  steps: [
    { id: 'index', agent: 'indexer', needs: [] },
    { id: 'tests', agent: 'test-runner', needs: [] },
    { id: 'diagnose', agent: 'bug-diagnoser', needs: ['index', 'tests'] },
    { id: 'fix', agent: 'fixer', needs: ['tests', 'diagnose'] },
    { id: 'apply', agent: 'patch-applier', needs: ['fix'] },
    { id: 'verify', agent: 'test-runner', needs: ['apply'] },
    { id: 'summary', agent: 'change-summarizer', needs: ['apply'] },
  ],
};

const addTests: WorkflowTemplate = {
  name: 'add-tests',
  description: "Find the complex and untested code; the test writer adds tests in the repository's style; they are applied and run.",
  steps: [
    { id: 'index', agent: 'indexer', needs: [] },
    { id: 'complexity', agent: 'complexity-analyzer', needs: [] },
    { id: 'tests-before', agent: 'test-runner', needs: [] },
    { id: 'write-tests', agent: 'test-writer', needs: ['index', 'complexity', 'tests-before'] },
    { id: 'apply', agent: 'patch-applier', needs: ['write-tests'] },
    { id: 'tests-after', agent: 'test-runner', needs: ['apply'] },
    { id: 'summary', agent: 'change-summarizer', needs: ['apply'] },
  ],
};

const dependencyAudit: WorkflowTemplate = {
  name: 'dependency-audit',
  description:
    'Audit dependencies (advisories, ranges, install scripts, sources) and their licenses in parallel; the upgrader proposes the upgrades that clear them.',
  steps: [
    { id: 'dependencies', agent: 'dependency-auditor', needs: [] },
    { id: 'licenses', agent: 'license-checker', needs: [] },
    { id: 'upgrade', agent: 'dependency-upgrader', needs: ['dependencies', 'licenses'] },
  ],
};

const refactor: WorkflowTemplate = {
  name: 'refactor',
  description:
    'Find hotspots and dead code; the refactorer proposes behaviour-preserving patches; they are applied and the tests prove nothing changed.',
  steps: [
    { id: 'index', agent: 'indexer', needs: [] },
    { id: 'complexity', agent: 'complexity-analyzer', needs: [] },
    { id: 'dead-code', agent: 'dead-code-finder', needs: [] },
    { id: 'refactor', agent: 'refactorer', needs: ['index', 'complexity', 'dead-code'] },
    { id: 'apply', agent: 'patch-applier', needs: ['refactor'] },
    { id: 'tests', agent: 'test-runner', needs: ['apply'] },
    { id: 'summary', agent: 'change-summarizer', needs: ['apply'] },
  ],
};

const documentTemplate: WorkflowTemplate = {
  name: 'document',
  description:
    'Index the repository; the architecture explainer describes it; the doc writer writes and corrects the docs; they are applied and summarized.',
  steps: [
    { id: 'index', agent: 'indexer', needs: [] },
    { id: 'architecture', agent: 'architecture-explainer', needs: ['index'] },
    { id: 'docs', agent: 'doc-writer', needs: ['index', 'architecture'] },
    { id: 'apply', agent: 'patch-applier', needs: ['docs'] },
    { id: 'summary', agent: 'change-summarizer', needs: ['apply'] },
  ],
};

/** The workflow templates this release ships, by name from the boundary's closed list (all of them). */
export const TEMPLATE_DEFINITIONS: Record<TemplateName, WorkflowTemplate> = {
  'code-review': codeReview,
  'index-only': indexOnly,
  'security-audit': securityAudit,
  'diagnose-and-fix': diagnoseAndFix,
  'add-tests': addTests,
  'dependency-audit': dependencyAudit,
  refactor,
  document: documentTemplate,
};
