/**
 * Flag parsing on top of `node:util` parseArgs (strict: unknown flags are errors), with the
 * messages turned into one human line and exit code 2.
 */
import { parseArgs } from 'node:util';
import { usageError } from './errors.ts';

export interface FlagSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  short?: string;
}
export type FlagSpecs = Record<string, FlagSpec>;

export interface ParsedArgs {
  values: Record<string, string | boolean | Array<string | boolean> | undefined>;
  positionals: string[];
}

/** Parse `argv` for command `name`; every command also accepts `--help`/`-h`. */
export function parseFlags(
  name: string,
  argv: readonly string[],
  flags: FlagSpecs,
  allowPositionals: boolean,
): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { ...flags, help: { type: 'boolean', short: 'h' } },
      allowPositionals,
      strict: true,
    });
    return { values: values as ParsedArgs['values'], positionals };
  } catch (e) {
    const err = e as { code?: string; message?: string };
    const quoted = /'([^']+)'/.exec(err.message ?? '')?.[1] ?? '';
    const flag = quoted.split(/[ ,]/).find((p) => p.startsWith('--')) ?? quoted;
    switch (err.code) {
      case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
        throw usageError(`unknown flag ${flag} for "${name}" (see: ai-geofence ${name} --help)`);
      case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
        throw usageError(`${flag} needs a value (see: ai-geofence ${name} --help)`);
      case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
        throw usageError(`unexpected argument "${quoted}" for "${name}" (see: ai-geofence ${name} --help)`);
      default:
        throw usageError(`${err.message ?? String(e)} (see: ai-geofence ${name} --help)`);
    }
  }
}

/** The value of a single-valued string flag, or undefined. */
export function optionalString(args: ParsedArgs, flag: string): string | undefined {
  const v = args.values[flag];
  if (Array.isArray(v)) return v.length ? String(v[v.length - 1]) : undefined;
  return typeof v === 'string' ? v : undefined;
}

/** The value of a required string flag; a usage error when it is missing or empty. */
export function requiredString(args: ParsedArgs, flag: string, command: string): string {
  const v = optionalString(args, flag);
  if (v === undefined || v.trim() === '')
    throw usageError(`"${command}" needs --${flag} (see: ai-geofence ${command} --help)`);
  return v;
}

/** All values of a repeatable string flag. */
export function stringList(args: ParsedArgs, flag: string): string[] {
  const v = args.values[flag];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
}

/** True when a boolean flag was given. */
export function flag(args: ParsedArgs, name: string): boolean {
  return args.values[name] === true;
}

/** An integer flag within [min, max], or undefined when absent. */
export function optionalInt(args: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const raw = optionalString(args, name);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw.trim())) throw usageError(`--${name} must be a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw usageError(`--${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** An ISO 8601 instant flag as ms since epoch, or `fallback` when absent. */
export function optionalInstant(args: ParsedArgs, name: string, fallback: number): number {
  const raw = optionalString(args, name);
  if (raw === undefined) return fallback;
  // Date.parse accepts loose formats ("Nov 20"); insist on something ISO-like so scripts are explicit.
  const ms = /^\d{4}-\d{2}-\d{2}/.test(raw) ? Date.parse(raw) : Number.NaN;
  if (Number.isNaN(ms))
    throw usageError(`--${name} must be an ISO 8601 date or instant such as 2026-11-23T09:00:00+08:00, got "${raw}"`);
  return ms;
}

/** A comma-separated list flag ("a,b"), trimmed, without empty items. */
export function commaList(args: ParsedArgs, name: string): string[] | undefined {
  const raw = stringList(args, name);
  if (raw.length === 0) return undefined;
  const items = raw
    .flatMap((r) => r.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw usageError(`--${name} needs at least one value, e.g. --${name} traders,research`);
  return [...new Set(items)];
}
