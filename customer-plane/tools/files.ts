import { mkdir, open, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ToolInput, ToolResult } from '../../agents/tools.ts';
import { PathRejectedError } from '../workspace/workspace.ts';
import { capped, type ExecutorContext, failed } from './types.ts';

/** The file tools. Paths arrive resolved and checked by the gate (`abs`); nothing here trusts the raw input. */

const READ_WHOLE_MAX = 256 * 1024;
const READ_RANGE_MAX = 8 * 1024 * 1024;

export async function listFiles(input: ToolInput<'list_files'>, ctx: ExecutorContext): Promise<ToolResult> {
  try {
    const { files, truncated } = await ctx.workspace.listFiles({ dir: input.dir, maxFiles: input.maxFiles ?? 2000 });
    return { ok: true, output: files.join('\n'), truncated, data: { count: files.length } };
  } catch (err) {
    if (err instanceof PathRejectedError) return failed('not_found', 'no such directory in the workspace');
    throw err;
  }
}

export async function readFileTool(input: ToolInput<'read_file'>, abs: string, _ctx: ExecutorContext): Promise<ToolResult> {
  const info = await stat(abs).catch(() => undefined);
  if (!info) return failed('not_found', 'no such file in the workspace');
  if (!info.isFile()) return failed('not_found', 'not a regular file');
  const ranged = input.startLine !== undefined || input.endLine !== undefined;
  const limit = ranged ? READ_RANGE_MAX : READ_WHOLE_MAX;
  if (info.size > limit) {
    return failed(
      'too_large',
      `the file has ${info.size} bytes; read it in line ranges (startLine/endLine)${ranged ? ' of a file under 8 MiB' : ''}`,
    );
  }
  const fh = await open(abs, 'r');
  let buf: Buffer;
  try {
    buf = await fh.readFile();
  } finally {
    await fh.close();
  }
  if (buf.subarray(0, 8000).includes(0)) return failed('not_text', 'the file is binary');
  let text = buf.toString('utf8');
  if (ranged) {
    const lines = text.split('\n');
    const from = (input.startLine ?? 1) - 1;
    const to = Math.min(lines.length, input.endLine ?? lines.length);
    text = lines.slice(from, to).join('\n');
  }
  const { output, truncated } = capped(text);
  return { ok: true, output, truncated, data: { bytes: info.size } };
}

export async function writeFileTool(input: ToolInput<'write_file'>, abs: string): Promise<ToolResult> {
  const existing = await stat(abs).catch(() => undefined);
  if (existing && !existing.isFile()) return failed('failed', 'the path is a directory, not a file');
  await mkdir(dirname(abs), { recursive: true });
  await writeFile(abs, input.content, 'utf8');
  return { ok: true, output: `wrote ${Buffer.byteLength(input.content)} bytes to ${input.path}`, data: { created: !existing } };
}

export async function deleteFileTool(input: ToolInput<'delete_file'>, abs: string): Promise<ToolResult> {
  const info = await stat(abs).catch(() => undefined);
  if (!info) return failed('not_found', 'no such file in the workspace');
  if (!info.isFile()) return failed('failed', 'only files can be deleted, not directories');
  await rm(abs);
  return { ok: true, output: `deleted ${input.path}` };
}
