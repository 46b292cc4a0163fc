import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DEMO_API_KEY } from '../gateway/persisted-queries/api-keys';
import { PersistedQueryManifest } from '../gateway/persisted-queries/manifest';
import { demoCatalog } from '../lib/demo-data';
import { ErrorCode } from '../lib/errors';
import { repoRoot, schemaDir } from '../lib/paths';
import { startTestSupergraph, type TestSupergraph } from '../test/supergraph-harness';
import { MANIFEST_FILE } from './client-artifacts';

/**
 * The README's and the integrator guide's examples, run as written against a
 * test supergraph: every curl command of an `sh` block (by curl itself when it
 * is on PATH, else translated to fetch) and every request of an `http` block.
 * The `#` lines under a curl command are what it answers: `HTTP/1.1 <status>`,
 * `name: value` headers (a `<...>` in a value stands for anything) and a JSON
 * body whose `extensions.code`s must be among the errors. Without a body line
 * the answer must hold data and no errors; without a status line it is a 200.
 */

const DOCUMENTS = ['README.md', 'docs/integrators.md'];
const manifest = PersistedQueryManifest.parse(readFileSync(path.join(schemaDir(), MANIFEST_FILE), 'utf8'));
const catalog = demoCatalog();
const slugs = new Set([...catalog.products, ...catalog.categories].map((item) => item.slug));
const errorCodes = new Set<string>(Object.values(ErrorCode));
/** In a command: the ETag of the previous example's answer. */
const PREVIOUS_ETAG = '<ETag of the answer above>';

interface Expectation {
  status: number;
  headers: [string, string][];
  /** Error codes the body must carry; none: data and no errors. */
  codes: string[];
}

interface Example {
  title: string;
  source: string;
  kind: 'curl' | 'http';
  expect: Expectation;
}

interface Answer {
  status: number;
  headers: Headers;
  body: string;
}

function fencedBlocks(markdown: string): { lang: string; text: string; line: number }[] {
  const blocks: { lang: string; text: string; line: number }[] = [];
  const pattern = /^```(\w*)\n([\s\S]*?)^```$/gm;
  for (let match = pattern.exec(markdown); match; match = pattern.exec(markdown)) {
    blocks.push({ lang: match[1], text: match[2], line: markdown.slice(0, match.index).split('\n').length });
  }
  return blocks;
}

function parseExpectation(comments: string[]): Expectation {
  const expectation: Expectation = { status: 200, headers: [], codes: [] };
  for (const comment of comments) {
    const status = /^HTTP\/[\d.]+ (\d{3})\b/.exec(comment);
    const header = /^([A-Za-z][\w-]*): (.+)$/.exec(comment);
    if (status) expectation.status = Number(status[1]);
    else if (comment.startsWith('{')) expectation.codes.push(...[...comment.matchAll(/"code":\s*"([A-Z_]+)"/g)].map((m) => m[1]));
    else if (header) expectation.headers.push([header[1].toLowerCase(), header[2].trim()]);
  }
  return expectation;
}

function extractExamples(markdown: string, file: string): Example[] {
  const examples: Example[] = [];
  for (const block of fencedBlocks(markdown)) {
    if (block.lang === 'sh') {
      // Continued lines joined, each with the file line it starts on.
      const lines: { text: string; line: number }[] = [];
      block.text.split('\n').forEach((text, index) => {
        const previous = lines.at(-1);
        if (previous?.text.endsWith('\\')) previous.text = `${previous.text.slice(0, -1).trimEnd()} ${text.trim()}`;
        else lines.push({ text, line: block.line + 1 + index });
      });
      lines.forEach(({ text: line, line: lineNumber }, index) => {
        if (!line.startsWith('curl ')) return;
        const comments: string[] = [];
        for (const { text: next } of lines.slice(index + 1)) {
          if (!next.startsWith('#')) break;
          comments.push(next.replace(/^#\s?/, ''));
        }
        examples.push({ title: `${file}:${lineNumber} ${line.slice(0, 90)}`, source: line, kind: 'curl', expect: parseExpectation(comments) });
      });
    } else if (block.lang === 'http') {
      examples.push({ title: `${file}:${block.line} ${block.text.split('\n')[0].slice(0, 90)}`, source: block.text, kind: 'http', expect: { status: 200, headers: [], codes: [] } });
    }
  }
  return examples;
}

/** Splits a shell command line into words: single and double quotes, no expansions. */
function shellWords(command: string): string[] {
  const words: string[] = [];
  // A word is a run of quoted and unquoted parts with no space between them.
  const pattern = /'([^']*)'|"((?:[^"\\]|\\.)*)"|([^\s'"]+)/g;
  let lastEnd = -1;
  for (let match = pattern.exec(command); match; match = pattern.exec(command)) {
    const part = match[1] ?? match[2]?.replace(/\\(.)/g, '$1') ?? match[3];
    if (match.index === lastEnd) words[words.length - 1] += part;
    else words.push(part);
    lastEnd = match.index + match[0].length;
  }
  return words;
}

function onPath(program: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => {
    try {
      accessSync(path.join(dir, program), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

const hasCurl = onPath('curl') && !process.env.DOCS_EXAMPLES_FETCH;

async function runCurl(args: string[]): Promise<Answer> {
  const headerFile = path.join(mkdtempSync(path.join(tmpdir(), 'docs-curl-')), 'headers');
  const { stdout } = await promisify(execFile)('curl', [...args, '--dump-header', headerFile], { maxBuffer: 10 * 1024 * 1024 });
  const blocks = readFileSync(headerFile, 'utf8').trim().split(/\r?\n\r?\n/);
  const [statusLine, ...headerLines] = blocks[blocks.length - 1].split(/\r?\n/);
  const headers = new Headers();
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: stdout };
}

/** The same request by fetch, for machines without curl: -H, -d, -G and --data-urlencode. */
async function fetchLikeCurl(args: string[]): Promise<Answer> {
  const headers: Record<string, string> = {};
  const data: string[] = [];
  let get = false;
  let url = '';
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '-H') {
      const [name, ...value] = args[++i].split(':');
      headers[name.trim().toLowerCase()] = value.join(':').trim();
    } else if (arg === '-d') data.push(args[++i]);
    else if (arg === '--data-urlencode') {
      const [name, ...value] = args[++i].split('=');
      data.push(`${name}=${encodeURIComponent(value.join('='))}`);
    } else if (arg === '-G') get = true;
    else if (arg === '-s') continue;
    else if (arg.startsWith('-')) throw new Error(`curl option ${arg} is not translated`);
    else url = /^https?:/.test(arg) ? arg : `http://${arg}`;
  }
  const response = get || data.length === 0
    ? await fetch(data.length ? `${url}?${data.join('&')}` : url, { headers })
    : await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: data.join('&') });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

describe('the examples of the README and the integrator guide', () => {
  const examples = DOCUMENTS.flatMap((file) => extractExamples(readFileSync(path.join(repoRoot(), file), 'utf8'), file));
  let supergraph: TestSupergraph;
  let origin: string;
  let previousEtag: string | null = null;

  beforeAll(async () => {
    supergraph = await startTestSupergraph();
    origin = new URL(supergraph.gatewayUrl).origin;
  }, 120_000);
  afterAll(() => supergraph?.stop());

  it('are found: curl commands in both files, an HTTP request by id, an ETag and an error code', () => {
    expect(examples.filter((e) => e.title.startsWith('README.md') && e.kind === 'curl').length).toBeGreaterThanOrEqual(2);
    expect(examples.filter((e) => e.title.startsWith('docs/integrators.md') && e.kind === 'curl').length).toBeGreaterThanOrEqual(4);
    expect(examples.filter((e) => e.kind === 'http').length).toBeGreaterThanOrEqual(2);
    expect(examples.some((e) => e.expect.status === 304 && e.source.includes(PREVIOUS_ETAG))).toBe(true);
    expect(examples.some((e) => e.expect.codes.length > 0)).toBe(true);
  });

  it('use real manifest ids (with the name they are sent with), real slugs of the demo shop and real error codes', () => {
    for (const example of examples) {
      const expectsUnlisted = example.expect.codes.includes(ErrorCode.PERSISTED_QUERY_NOT_IN_LIST);
      const operationName = /"?operationName"?\s*[:=]\s*"?(\w+)/.exec(example.source)?.[1];
      for (const [, hash] of example.source.matchAll(/"sha256Hash":\s*"([^"]*)"/g)) {
        const operation = manifest.operationById(hash);
        if (expectsUnlisted) expect({ example: example.title, listed: !!operation }).toEqual({ example: example.title, listed: false });
        else expect({ example: example.title, hash, name: operation?.name }).toEqual({ example: example.title, hash, name: operationName ?? expect.any(String) });
      }
      for (const [, slug] of example.source.matchAll(/"slug":\s*"([^"]*)"/g)) expect({ example: example.title, slug, exists: slugs.has(slug) }).toEqual({ example: example.title, slug, exists: true });
      for (const code of example.expect.codes) expect(errorCodes).toContain(code);
    }
    const guide = readFileSync(path.join(repoRoot(), 'docs/integrators.md'), 'utf8');
    for (const [, code] of guide.matchAll(/^\| `([A-Z_]+)` \|/gm)) expect(errorCodes).toContain(code);
    expect(guide).toContain('npm run persisted-queries -- list');
    expect(guide).toContain(DEMO_API_KEY);
  });

  // Sequential and in the documents' order: an example may send the ETag of the one before.
  it.each(examples.map((example) => [example.title, example] as const))('%s', async (_title, example) => {
    let answer: Answer;
    if (example.kind === 'curl') {
      const args = shellWords(example.source.replaceAll(PREVIOUS_ETAG, previousEtag ?? '<no ETag>'))
        .slice(1)
        .flatMap((arg) => (arg === '-i' ? [] : /^-[a-z]+$/.test(arg) && arg.includes('i') ? [arg.replace('i', '')] : [arg]))
        .map((arg) => arg.replace(/^(https?:\/\/)?localhost:4000/, origin));
      expect(args.filter((arg) => /<[^>]+>/.test(arg))).toEqual([]);
      answer = hasCurl ? await runCurl(args) : await fetchLikeCurl(args);
    } else {
      const [head, ...rest] = example.source.split(/\n\s*\n/);
      const [requestLine, ...headerLines] = head.trim().split('\n');
      const [method, target] = requestLine.split(' ');
      const headers = Object.fromEntries(headerLines.map((line) => [line.slice(0, line.indexOf(':')).trim(), line.slice(line.indexOf(':') + 1).trim()]));
      const [pathname, query = ''] = target.split(/\?(.*)/s);
      const search = query.split('&').filter(Boolean).map((pair) => {
        const [name, ...value] = pair.split('=');
        return `${name}=${encodeURIComponent(value.join('='))}`;
      });
      const body = rest.join('\n\n').trim();
      const response = await fetch(`${origin}${pathname}${search.length ? `?${search.join('&')}` : ''}`, { method, headers, body: method === 'GET' ? undefined : JSON.stringify(JSON.parse(body)) });
      answer = { status: response.status, headers: response.headers, body: await response.text() };
    }
    previousEtag = answer.headers.get('etag');

    expect({ status: answer.status, body: answer.status === example.expect.status ? '' : answer.body }).toEqual({ status: example.expect.status, body: '' });
    for (const [name, value] of example.expect.headers) {
      const pattern = new RegExp(`^${value.split(/<[^>]*>/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.+')}$`, 'i');
      expect({ header: name, value: answer.headers.get(name) }).toEqual({ header: name, value: expect.stringMatching(pattern) });
    }
    if (answer.status === 304) {
      expect(answer.body).toBe('');
      return;
    }
    const result = JSON.parse(answer.body) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
    if (example.expect.codes.length > 0) {
      expect(result.errors?.map((error) => error.extensions?.code)).toEqual(expect.arrayContaining(example.expect.codes));
    } else {
      expect(result.errors).toBeUndefined();
      expect(result.data).toEqual(expect.any(Object));
      expect(Object.values(result.data as object).every((value) => value !== null)).toBe(true);
    }
  });
});
