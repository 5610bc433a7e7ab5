/**
 * The location service's networks table: CIDR ranges (IPv4 and IPv6) → country and optional zone.
 * Pure, so the reference service and `lint --networks` read the same file the same way.
 *
 * NETWORKS.json is an array (or `{"networks": [...]}`) of
 * `{"cidr": "203.0.113.0/24", "country": "HK", "zone": "HK-OFFICE"}`; the most specific range
 * containing an address wins (a /28 office network inside a /16 country range).
 */
import { isIsoCountryCode, suggestCountryCode } from '../config/countries.ts';
import { isZoneName } from './location.ts';

export interface NetworkEntry {
  cidr: string;
  country: string;
  zone?: string;
}

interface Range {
  v6: boolean;
  base: bigint;
  prefix: number;
  entry: NetworkEntry;
}

/** An IPv4 address as a 32-bit number, or null. */
function parseIpv4(text: string): bigint | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let n = 0n;
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return null;
    n = (n << 8n) | BigInt(p);
  }
  return n;
}

/** An IPv6 address (with `::` and an optional dotted IPv4 tail; no zone index) as a 128-bit number, or null. */
function parseIpv6(text: string): bigint | null {
  if (!/^[0-9A-Fa-f:.]+$/.test(text)) return null;
  let head = text;
  let tail: bigint[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    const v4 = parseIpv4(text.slice(lastColon + 1));
    if (v4 === null) return null;
    tail = [v4 >> 16n, v4 & 0xffffn];
    head = text.slice(0, lastColon);
    // "::1.2.3.4": the "::" before the IPv4 part must survive the cut.
    if (head.endsWith(':')) head += ':';
  }
  const halves = head.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const left = groups(halves[0]!);
  const right = halves.length === 2 ? groups(halves[1]!) : [];
  if ([...left, ...right].some((g) => !/^[0-9A-Fa-f]{1,4}$/.test(g))) return null;
  const count = left.length + right.length + tail.length;
  if (halves.length === 1 ? count !== 8 : count > 7) return null;
  const words = [
    ...left.map((g) => BigInt(`0x${g}`)),
    ...Array<bigint>(8 - count).fill(0n),
    ...right.map((g) => BigInt(`0x${g}`)),
    ...tail,
  ];
  return words.reduce((n, w) => (n << 16n) | w, 0n);
}

/**
 * An address as the service sees it: IPv4, or IPv6 (an IPv4-mapped `::ffff:a.b.c.d`, as a
 * dual-stack socket reports IPv4 clients, counts as the IPv4 address). Null when not an address.
 */
export function parseAddress(text: string): { v6: boolean; value: bigint } | null {
  const v4 = parseIpv4(text);
  if (v4 !== null) return { v6: false, value: v4 };
  const v6 = parseIpv6(text);
  if (v6 === null) return null;
  if (v6 >> 32n === 0xffffn) return { v6: false, value: v6 & 0xffffffffn };
  return { v6: true, value: v6 };
}

/** Parse and check a networks table; throws an Error naming the first bad entry by its index. */
export function parseNetworks(doc: unknown): NetworkTable {
  const list = Array.isArray(doc)
    ? doc
    : doc && typeof doc === 'object' && Array.isArray((doc as { networks?: unknown }).networks)
      ? (doc as { networks: unknown[] }).networks
      : null;
  if (!list) throw new Error('expected an array of {"cidr","country","zone"?} entries (or {"networks": [...]})');
  const ranges: Range[] = list.map((raw, i) => {
    const where = `networks[${i}]`;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw))
      throw new Error(`${where}: expected an object {"cidr","country","zone"?}`);
    const e = raw as Record<string, unknown>;
    for (const k of Object.keys(e))
      if (!['cidr', 'country', 'zone'].includes(k)) throw new Error(`${where}: unknown field "${k}"`);
    if (typeof e.cidr !== 'string') throw new Error(`${where}: "cidr" must be a string such as "203.0.113.0/24"`);
    const [addr, bits, extra] = e.cidr.split('/');
    const parsed = addr ? parseAddress(addr) : null;
    const max = parsed?.v6 ? 128 : 32;
    const prefix = Number(bits);
    if (!parsed || extra !== undefined || bits === undefined || !/^\d{1,3}$/.test(bits) || prefix > max)
      throw new Error(`${where}: "${e.cidr}" is not a CIDR range such as "203.0.113.0/24" or "2001:db8::/32"`);
    const hostBits = BigInt(max - prefix);
    if ((parsed.value >> hostBits) << hostBits !== parsed.value)
      throw new Error(`${where}: "${e.cidr}" has bits set beyond its /${prefix} prefix`);
    if (typeof e.country !== 'string' || !isIsoCountryCode(e.country)) {
      const hint = typeof e.country === 'string' ? suggestCountryCode(e.country) : undefined;
      throw new Error(
        `${where}: "country" must be an ISO 3166-1 alpha-2 code${hint ? ` (did you mean "${hint}"?)` : ''}`,
      );
    }
    if (e.zone !== undefined && (typeof e.zone !== 'string' || !isZoneName(e.zone)))
      throw new Error(`${where}: "zone" must be 3 to 64 letters, digits, ".", "_" or "-"`);
    const entry: NetworkEntry = {
      cidr: e.cidr,
      country: e.country,
      ...(e.zone === undefined ? {} : { zone: e.zone as string }),
    };
    return { v6: parsed.v6, base: parsed.value, prefix, entry };
  });
  return new NetworkTable(ranges);
}

/** A parsed networks table. */
export class NetworkTable {
  readonly #ranges: Range[];

  constructor(ranges: Range[]) {
    // Most specific first, so the first containing range is the answer.
    this.#ranges = [...ranges].sort((a, b) => b.prefix - a.prefix);
  }

  /** The zone names the table defines, sorted. */
  zones(): string[] {
    return [...new Set(this.#ranges.flatMap((r) => (r.entry.zone ? [r.entry.zone] : [])))].sort();
  }

  get size(): number {
    return this.#ranges.length;
  }

  /** The entry of the most specific range containing `address`, or null (also for a non-address). */
  lookup(address: string): NetworkEntry | null {
    const a = parseAddress(address);
    if (!a) return null;
    for (const r of this.#ranges) {
      if (r.v6 !== a.v6) continue;
      const hostBits = BigInt((r.v6 ? 128 : 32) - r.prefix);
      if (a.value >> hostBits === r.base >> hostBits) return r.entry;
    }
    return null;
  }
}
