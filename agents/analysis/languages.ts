/** Language of a path by its extension or name, for files no grammar is loaded for (the indexer's census). */
const BY_EXTENSION: Record<string, string> = {
  js: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  jsx: 'javascript',
  ts: 'typescript',
  mts: 'typescript',
  cts: 'typescript',
  tsx: 'tsx',
  py: 'python',
  pyi: 'python',
  sh: 'bash',
  bash: 'bash',
  go: 'go',
  rs: 'rust',
  java: 'java',
  kt: 'kotlin',
  rb: 'ruby',
  php: 'php',
  cs: 'csharp',
  c: 'c',
  h: 'c',
  cc: 'cpp',
  cpp: 'cpp',
  hpp: 'cpp',
  swift: 'swift',
  scala: 'scala',
  sql: 'sql',
  html: 'html',
  css: 'css',
  scss: 'scss',
  md: 'markdown',
  json: 'json',
  yml: 'yaml',
  yaml: 'yaml',
  toml: 'toml',
  xml: 'xml',
  tf: 'terraform',
};
const BY_NAME: Record<string, string> = {
  Dockerfile: 'dockerfile',
  Makefile: 'make',
  'requirements.txt': 'pip-requirements',
};

export function languageOfPath(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  if (BY_NAME[base]) return BY_NAME[base];
  if (/^Dockerfile\./.test(base) || base.endsWith('.dockerfile')) return 'dockerfile';
  const dot = base.lastIndexOf('.');
  return dot > 0 ? (BY_EXTENSION[base.slice(dot + 1).toLowerCase()] ?? 'other') : 'other';
}
