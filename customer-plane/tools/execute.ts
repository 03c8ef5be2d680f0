import type { ToolResult } from '../../agents/tools.ts';
import type { PreparedCall } from '../gate/gate.ts';
import { applyPatch } from './apply-patch.ts';
import { runCommand } from './commands.ts';
import { fetchUrl } from './fetch-url.ts';
import { deleteFileTool, listFiles, readFileTool, writeFileTool } from './files.ts';
import { search } from './search.ts';
import type { ExecutorContext } from './types.ts';

/** Carries out a call the gate allowed. Only the gate's PreparedCall reaches here, never raw model input. */
export function executeTool(call: PreparedCall, ctx: ExecutorContext): Promise<ToolResult> {
  switch (call.tool) {
    case 'list_files':
      return listFiles(call.input, ctx);
    case 'read_file':
      return readFileTool(call.input, call.abs, ctx);
    case 'search':
      return search(call.input, ctx);
    case 'write_file':
      return writeFileTool(call.input, call.abs);
    case 'apply_patch':
      return applyPatch(call.input, call.paths, ctx);
    case 'delete_file':
      return deleteFileTool(call.input, call.abs);
    case 'run_command':
    case 'git':
      return runCommand(call.input, call.command, ctx);
    case 'fetch_url':
      return fetchUrl(call.url, ctx);
  }
}
