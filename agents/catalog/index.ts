import type { AgentName } from '../../shared/boundary.ts';
import type { AgentDefinition } from '../types.ts';
import { apiReviewer } from './api-reviewer.ts';
import { architectureExplainer } from './architecture-explainer.ts';
import { bugDiagnoser } from './bug-diagnoser.ts';
import { changeSummarizer } from './change-summarizer.ts';
import { complexityAnalyzer } from './complexity-analyzer.ts';
import { configAuditor } from './config-auditor.ts';
import { deadCodeFinder } from './dead-code-finder.ts';
import { dependencyAuditor } from './dependency-auditor.ts';
import { dependencyUpgrader } from './dependency-upgrader.ts';
import { docWriter } from './doc-writer.ts';
import { errorHandlingReviewer } from './error-handling-reviewer.ts';
import { fixer } from './fixer.ts';
import { indexer } from './indexer.ts';
import { injectionScanner } from './injection-scanner.ts';
import { licenseChecker } from './license-checker.ts';
import { lintRunner } from './lint-runner.ts';
import { migrationPlanner } from './migration-planner.ts';
import { patchApplier } from './patch-applier.ts';
import { performanceReviewer } from './performance-reviewer.ts';
import { planner } from './planner.ts';
import { prDescriber } from './pr-describer.ts';
import { refactorer } from './refactorer.ts';
import { reviewer } from './reviewer.ts';
import { secretScanner } from './secret-scanner.ts';
import { securityReviewer } from './security-reviewer.ts';
import { testRunner } from './test-runner.ts';
import { testWriter } from './test-writer.ts';
import { triager } from './triager.ts';

/** Every agent this release ships, by its name from the boundary's closed list (all 28: the type makes a missing one a compile error). */
export const CATALOG: Record<AgentName, AgentDefinition> = {
  indexer,
  'dependency-auditor': dependencyAuditor,
  'secret-scanner': secretScanner,
  'injection-scanner': injectionScanner,
  'license-checker': licenseChecker,
  'test-runner': testRunner,
  'lint-runner': lintRunner,
  'complexity-analyzer': complexityAnalyzer,
  'patch-applier': patchApplier,
  'change-summarizer': changeSummarizer,
  'config-auditor': configAuditor,
  'dead-code-finder': deadCodeFinder,
  planner,
  reviewer,
  'bug-diagnoser': bugDiagnoser,
  refactorer,
  'test-writer': testWriter,
  'doc-writer': docWriter,
  'security-reviewer': securityReviewer,
  fixer,
  'dependency-upgrader': dependencyUpgrader,
  'performance-reviewer': performanceReviewer,
  'api-reviewer': apiReviewer,
  'error-handling-reviewer': errorHandlingReviewer,
  'pr-describer': prDescriber,
  triager,
  'architecture-explainer': architectureExplainer,
  'migration-planner': migrationPlanner,
};
