/**
 * Reading collected audit events as one stream, whatever their size: JSON-lines files (plain or
 * gzip), standard input (`-`), globs, and the reference collector's SQLite store. Lines are handed
 * over one at a time, so memory is bounded by what the consumer keeps, never by the input.
 */
import { isUtf8 } from 'node:buffer';
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { createReadStream } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import {
  ledgerFields,
  parseEventLine,
  type LedgerFields,
  type LedgerFinding,
  type LedgerLine,
  type SyncSha256,
} from '../core/audit/ledger.ts';
import { CliError } from './errors.ts';
import { sha256Sync } from './sha256.ts';
import { isSqliteHeader, readAuditStore } from './audit-store.mjs';

/** What a reader is told, line by line. */
export interface EventSink {
  event(line: LedgerLine): void;
  malformed(finding: LedgerFinding): void;
}

const GZIP_MAGIC = [0x1f, 0x8b];
const CHUNK_BYTES = 1 << 20;

/**
 * The inputs named on the command line, in order: `-` is standard input; a `*` or `?` in the file
 * name part is a glob over that folder, its matches in natural order (events.2.jsonl before
 * events.10.jsonl), so rotated logs read as one stream. A glob that matches nothing is an error.
 */
export function expandInputs(specs: readonly string[]): string[] {
  const out: string[] = [];
  for (const spec of specs) {
    if (spec === '-' || !/[*?]/.test(basename(spec))) {
      out.push(spec);
      continue;
    }
    const dir = dirname(spec);
    if (/[*?]/.test(dir))
      throw new CliError(`"${spec}": wildcards are supported in the file name only, not in folders`);
    const pattern = new RegExp(
      `^${basename(spec)
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
    );
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (e) {
      throw new CliError(`cannot list "${dir}" for "${spec}": ${(e as Error).message}`);
    }
    const matches = names.filter((n) => pattern.test(n)).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    if (matches.length === 0) throw new CliError(`"${spec}" matches no file`);
    out.push(...matches.map((n) => join(dir, n)));
  }
  if (out.filter((s) => s === '-').length > 1) throw new CliError('standard input ("-") can be read only once');
  return out;
}

/** The first bytes of a file (to recognise gzip and SQLite whatever the file is called). */
function sniff(path: string): Buffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ENOENT') throw new CliError(`events file "${path}" does not exist`);
    throw new CliError(`cannot read events file "${path}": ${(e as Error).message}`);
  }
  try {
    if (statSync(path).isDirectory()) throw new CliError(`events file "${path}" is a directory, expected a file`);
    const head = Buffer.alloc(16);
    const n = readSync(fd, head, 0, 16, 0);
    return head.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

const startsWith = (head: Uint8Array, magic: ArrayLike<number>) =>
  head.length >= magic.length && Array.prototype.every.call(magic, (b: number, i: number) => head[i] === b);

interface InputHandlers {
  /** The collector's SQLite store: rows in arrival order ("line" is the row number). */
  store(path: string, at: InputAt): void;
  /** A byte stream of JSON lines (already gunzipped). */
  bytes(chunks: AsyncIterable<Buffer>, at: InputAt): Promise<void>;
}

/** Where lines come from: the input's name (set only when there are several), index and tagger. */
interface InputAt {
  file: string | undefined;
  part: number;
  /** Name the input in a finding, when there are several. */
  tag(f: LedgerFinding): LedgerFinding;
  /** Lines read so far, for a damaged .gz. */
  lines: number;
}

async function forEachInput(
  inputs: readonly string[],
  stdin: AsyncIterable<Uint8Array>,
  onMalformed: (f: LedgerFinding) => void,
  handlers: InputHandlers,
): Promise<void> {
  const named = inputs.length > 1;
  for (const [part, input] of inputs.entries()) {
    const label = input === '-' ? 'stdin' : input;
    const at: InputAt = {
      file: named ? label : undefined,
      part,
      lines: 0,
      tag: (f) => (named ? { ...f, files: f.lines.map(() => label), message: `${label} ${f.message}` } : f),
    };
    if (input !== '-' && isSqliteHeader(sniff(input))) {
      try {
        handlers.store(input, at);
      } catch (e) {
        throw new CliError(`cannot read the audit store "${input}": ${(e as Error).message}`);
      }
      continue;
    }
    try {
      await handlers.bytes(openInput(input, stdin), at);
    } catch (e) {
      if (e instanceof CliError) throw e;
      const code = (e as { code?: string }).code;
      if (code === 'Z_BUF_ERROR' || code === 'Z_DATA_ERROR') {
        const line = at.lines + 1;
        onMalformed(
          at.tag({
            kind: 'malformed',
            source: null,
            lines: [line],
            message: `line ${line}: the compressed input is damaged or cut short (${(e as Error).message}); nothing after line ${at.lines} could be read`,
          }),
        );
        continue;
      }
      throw new CliError(`cannot read events from ${label}: ${(e as Error).message}`);
    }
  }
}

/** One line's bytes to an event or a malformed finding (invalid UTF-8 included). */
function parseLineBytes(bytes: Buffer, line: number): ReturnType<typeof parseEventLine> {
  if (!isUtf8(bytes))
    return { malformed: { kind: 'malformed', source: null, lines: [line], message: `line ${line}: not valid UTF-8` } };
  return parseEventLine(bytes.toString('utf8'), line);
}

/**
 * Read every input in order into `sink`. Each line is numbered within its input; with several
 * inputs, each line also carries its input's name and index. A compressed input that ends early
 * (a truncated .gz) is reported as malformed, not silently cut short.
 */
export function readEventInputs(
  inputs: readonly string[],
  sink: EventSink,
  stdin: AsyncIterable<Uint8Array> = process.stdin,
): Promise<void> {
  return forEachInput(inputs, stdin, sink.malformed, {
    store(path, at) {
      readAuditStore(path, (line, body) => {
        const parsed = parseEventLine(body, line);
        if (parsed && 'malformed' in parsed) sink.malformed(at.tag(parsed.malformed));
        else if (parsed) for (const event of parsed.events) sink.event({ line, event, file: at.file, part: at.part });
      });
    },
    async bytes(chunks, at) {
      await splitLines(chunks, (bytes) => {
        const line = ++at.lines;
        const parsed = parseLineBytes(bytes, line);
        if (parsed && 'malformed' in parsed) sink.malformed(at.tag(parsed.malformed));
        else if (parsed) for (const event of parsed.events) sink.event({ line, event, file: at.file, part: at.part });
      });
    },
  });
}

/** What audit-verify is told: each event's ledger fields (hashed, maybe in another thread). */
export interface FieldsSink {
  fields(fields: LedgerFields, at: { line: number; file: string | undefined; part: number }): void;
  malformed(finding: LedgerFinding): void;
}

/**
 * readEventInputs for audit-verify: parsing, canonical JSON and hashing (most of the cost) run in
 * worker threads over blocks of lines, the chain is checked here in order. `threads` 0 does it all
 * on this thread.
 */
export async function readLedgerFields(
  inputs: readonly string[],
  sink: FieldsSink,
  hash: SyncSha256,
  threads: number,
  stdin: AsyncIterable<Uint8Array> = process.stdin,
): Promise<void> {
  const pool = threads > 0 ? startFieldPool(threads) : null;
  const onLine = (bytes: Buffer, line: number, at: InputAt) => {
    const parsed = parseLineBytes(bytes, line);
    if (parsed && 'malformed' in parsed) sink.malformed(at.tag(parsed.malformed));
    else if (parsed)
      for (const event of parsed.events) sink.fields(ledgerFields(event, hash), { line, file: at.file, part: at.part });
  };
  try {
    await forEachInput(inputs, stdin, sink.malformed, {
      store(path, at) {
        readAuditStore(path, (line, body) => {
          const parsed = parseEventLine(body, line);
          if (parsed && 'malformed' in parsed) sink.malformed(at.tag(parsed.malformed));
          else if (parsed)
            for (const event of parsed.events)
              sink.fields(ledgerFields(event, hash), { line, file: at.file, part: at.part });
        });
      },
      async bytes(chunks, at) {
        if (!pool) {
          await splitLines(chunks, (bytes) => onLine(bytes, ++at.lines, at));
          return;
        }
        // Blocks go out in order and come back in order; at most a few per thread are in flight.
        const inFlight: Array<Promise<BlockResult>> = [];
        const settle = (r: BlockResult) => {
          for (const rec of r.records) {
            const line = at.lines + rec[0];
            if (rec[1] === 'malformed')
              sink.malformed(
                at.tag({ kind: 'malformed', source: null, lines: [line], message: `line ${line}: ${rec[2]}` }),
              );
            else sink.fields(rec[1], { line, file: at.file, part: at.part });
          }
          at.lines += r.lines;
        };
        await splitBlocks(chunks, async (block) => {
          inFlight.push(pool.run(block));
          if (inFlight.length >= threads * 3) settle(await inFlight.shift()!);
        });
        while (inFlight.length) settle(await inFlight.shift()!);
      },
    });
  } finally {
    await pool?.close();
  }
}

/** A block's lines, numbered from 1 within the block: malformed with why, or ledger fields. */
export interface BlockResult {
  lines: number;
  records: Array<[number, 'malformed', string] | [number, LedgerFields]>;
}

/** Parse, canonicalise and hash the lines of a block (whole lines; the last may lack its newline). */
export function processBlock(block: Buffer, hash: SyncSha256): BlockResult {
  const records: BlockResult['records'] = [];
  let rel = 0;
  let start = 0;
  while (start < block.length) {
    let nl = block.indexOf(10, start);
    if (nl === -1) nl = block.length;
    rel += 1;
    const parsed = parseLineBytes(block.subarray(start, nl), rel);
    if (parsed && 'malformed' in parsed)
      records.push([rel, 'malformed', parsed.malformed.message.replace(/^line \d+: /, '')]);
    else if (parsed) for (const event of parsed.events) records.push([rel, ledgerFields(event, hash)]);
    start = nl + 1;
  }
  return { lines: rel, records };
}

const WORKER_TAG = 'ai-geofence:ledger-fields';

/** Worker threads need a JavaScript file: the CLI bundle. From TypeScript sources (tests) there is none. */
export function fieldThreadsAvailable(): boolean {
  return /\.m?js$/.test(new URL(import.meta.url).pathname);
}

function startFieldPool(threads: number): { run(block: Buffer): Promise<BlockResult>; close(): Promise<void> } {
  const workers = Array.from(
    { length: threads },
    () => new Worker(new URL(import.meta.url), { workerData: { tag: WORKER_TAG } }),
  );
  const waiting = new Map<number, { resolve(r: BlockResult): void; reject(e: unknown): void }>();
  let next = 0;
  for (const w of workers) {
    w.on('message', (m: { id: number } & BlockResult) => {
      waiting.get(m.id)?.resolve(m);
      waiting.delete(m.id);
    });
    w.on('error', (e) => {
      for (const p of waiting.values()) p.reject(e);
      waiting.clear();
    });
  }
  return {
    run(block) {
      const id = next++;
      const copy = new Uint8Array(block); // its own buffer, transferred without a second copy
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        workers[id % workers.length]!.postMessage({ id, block: copy }, [copy.buffer]);
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

// In a worker started by startFieldPool (this module is part of the CLI bundle it loads).
if (!isMainThread && (workerData as { tag?: string } | null)?.tag === WORKER_TAG) {
  parentPort!.on('message', ({ id, block }: { id: number; block: Uint8Array }) => {
    parentPort!.postMessage({
      id,
      ...processBlock(Buffer.from(block.buffer, block.byteOffset, block.byteLength), sha256Sync),
    });
  });
}

/** A byte stream of the input, gunzipped when it starts with the gzip magic bytes. */
async function* openInput(input: string, stdin: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  const raw: AsyncIterable<Uint8Array> =
    input === '-' ? stdin : createReadStream(input, { highWaterMark: CHUNK_BYTES });
  const iterator = raw[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return;
  const rest: AsyncIterable<Uint8Array> = { [Symbol.asyncIterator]: () => iterator };
  if (!startsWith(first.value, GZIP_MAGIC)) {
    yield Buffer.from(first.value.buffer, first.value.byteOffset, first.value.byteLength);
    for await (const chunk of rest) yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    return;
  }
  const gunzip = createGunzip({ chunkSize: CHUNK_BYTES });
  const feed = (async () => {
    try {
      if (!gunzip.write(first.value)) await new Promise((r) => gunzip.once('drain', r));
      for await (const chunk of rest) if (!gunzip.write(chunk)) await new Promise((r) => gunzip.once('drain', r));
      gunzip.end();
    } catch (e) {
      gunzip.destroy(e as Error);
    }
  })();
  for await (const chunk of gunzip) yield chunk as Buffer;
  await feed;
}

const BLOCK_BYTES = 1 << 20;

/** Cut a byte stream into blocks of whole lines (about BLOCK_BYTES each); the last may lack its newline. */
async function splitBlocks(chunks: AsyncIterable<Buffer>, onBlock: (block: Buffer) => Promise<void>): Promise<void> {
  let carry: Buffer | null = null;
  for await (const chunk of chunks) {
    const buf: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
    carry = null;
    const cut = buf.length >= BLOCK_BYTES ? buf.lastIndexOf(10) : -1;
    if (cut === -1) {
      carry = Buffer.from(buf);
      continue;
    }
    await onBlock(buf.subarray(0, cut + 1));
    if (cut + 1 < buf.length) carry = Buffer.from(buf.subarray(cut + 1));
  }
  if (carry?.length) await onBlock(carry);
}

/** Split a byte stream on "\n"; the last line may lack its newline (a torn write), and is still a line. */
async function splitLines(chunks: AsyncIterable<Buffer>, onLine: (bytes: Buffer) => void): Promise<void> {
  let carry: Buffer | null = null;
  for await (const chunk of chunks) {
    let start = 0;
    let buf = chunk;
    if (carry) {
      buf = Buffer.concat([carry, chunk]);
      carry = null;
    }
    for (let nl = buf.indexOf(10, start); nl !== -1; nl = buf.indexOf(10, start)) {
      onLine(buf.subarray(start, nl));
      start = nl + 1;
    }
    if (start < buf.length) carry = Buffer.from(buf.subarray(start));
  }
  if (carry?.length) onLine(carry);
}
