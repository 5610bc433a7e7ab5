/** Helpers for the CLI tests: run the real `bin/ai-geofence.mjs` as a subprocess. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
export const BIN = join(REPO_ROOT, 'bin', 'ai-geofence.mjs');
export const EXAMPLE_POLICY = join(REPO_ROOT, 'examples', 'policy.json');
export const EXAMPLE_JWS = join(REPO_ROOT, 'examples', 'policy.jws');
export const EXAMPLE_TRUSTED = join(REPO_ROOT, 'examples', 'keys', 'trusted.json');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the CLI with `args` in `cwd`; never rejects on a non-zero exit. */
export function runCli(args: string[], cwd = REPO_ROOT): Promise<CliRun> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

/** A fresh temporary directory and its cleanup. */
export function makeTempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `ai-geofence-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Run `main` in this process (for the fast argument-validation matrices); same result shape. */
export async function runInProcess(args: string[]): Promise<CliRun> {
  const { main } = await import('./index.ts');
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    out: (t) => {
      stdout += t.endsWith('\n') ? t : `${t}\n`;
    },
    err: (t) => {
      stderr += t.endsWith('\n') ? t : `${t}\n`;
    },
  });
  return { code, stdout, stderr };
}

/** Per-test timeout for subprocess tests: generous, because CI machines are often oversubscribed. */
export const SUBPROCESS_TIMEOUT = 20_000;

/** A .reg reader: sections, "name"="string" with \\ and \" escapes, "name"=dword:hex. */
export function parseReg(text: string): Map<string, Record<string, string | number>> {
  const keys = new Map<string, Record<string, string | number>>();
  let current: Record<string, string | number> | null = null;
  for (const line of text.split('\r\n').slice(1)) {
    if (line === '' || line.startsWith(';')) continue;
    const section = /^\[([^\]]+)\]$/.exec(line);
    if (section) {
      current = {};
      keys.set(section[1]!, current);
      continue;
    }
    const value = /^"((?:[^"\\]|\\.)*)"=(?:"((?:[^"\\]|\\.)*)"|dword:([0-9a-f]{8}))$/.exec(line);
    if (!value || !current) throw new Error(`not a .reg line: ${line}`);
    const unescapeReg = (s: string) => s.replace(/\\(.)/g, '$1');
    current[unescapeReg(value[1]!)] = value[3] !== undefined ? parseInt(value[3], 16) : unescapeReg(value[2]!);
  }
  return keys;
}

/** A strict reader for the XML plist subset we emit; throws on any unbalanced or unknown tag. */
export function parsePlist(xml: string): unknown {
  const body =
    /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<!DOCTYPE plist [^>]+>\n<plist version="1\.0">([\s\S]*)<\/plist>\n$/.exec(
      xml,
    );
  if (!body) throw new Error('missing XML declaration, doctype or plist root');
  const tokens = body[1]!.match(/<[^>]+>|[^<]+/g)!.filter((t) => t.trim() !== '');
  let i = 0;
  const text = (close: string) => {
    let s = '';
    if (tokens[i] !== close) s = tokens[i++]!;
    if (tokens[i++] !== close) throw new Error(`expected ${close}`);
    if (/[<>]|&(?!amp;|lt;|gt;)/.test(s)) throw new Error(`unescaped text: ${s}`);
    return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  };
  const value = (): unknown => {
    const tag = tokens[i++];
    switch (tag) {
      case '<string>':
        return text('</string>');
      case '<integer>': {
        const n = text('</integer>');
        if (!/^-?\d+$/.test(n)) throw new Error(`bad integer ${n}`);
        return Number(n);
      }
      case '<true/>':
        return true;
      case '<false/>':
        return false;
      case '<array/>':
        return [];
      case '<dict/>':
        return {};
      case '<array>': {
        const out: unknown[] = [];
        while (tokens[i] !== '</array>') out.push(value());
        i++;
        return out;
      }
      case '<dict>': {
        const out: Record<string, unknown> = {};
        while (tokens[i] !== '</dict>') {
          if (tokens[i++] !== '<key>') throw new Error('expected <key>');
          const k = text('</key>');
          out[k] = value();
        }
        i++;
        return out;
      }
      default:
        throw new Error(`unexpected ${tag}`);
    }
  };
  const root = value();
  if (i !== tokens.length) throw new Error('trailing content after the root value');
  return root;
}
