/**
 * Host handling that cannot be fooled by URL tricks (docs/threat-model.md#url-tricks-against-host-matching): the WHATWG URL parser does
 * lower-casing, IDN→punycode, percent-decoding of hosts, IPv4 number forms and userinfo
 * separation for us, exactly as the browser will when it navigates.
 */

export interface ParsedTarget {
  /** `https:`, `http:`, … */
  scheme: string;
  /** Normalised host: lower case, punycode, no trailing dot, no brackets. Empty when none. */
  host: string;
  /** True for IPv4/IPv6 literals, which never match a domain. */
  isIp: boolean;
  /** Path with leading slash (no query or fragment). */
  path: string;
  /** The search string including `?`, or empty. */
  search: string;
}

/** After WHATWG parsing every IPv4 form (`0x7f.1`, `2130706433`) is dotted decimal. */
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
/** Characters that mean a policy "domain" is really a URL, a host:port, a wildcard or userinfo. */
const NOT_A_BARE_HOST = /[/\\?#@:*%\s[\]]/;

/**
 * Lower-case letters, digits and hyphens in dot-separated labels, no `xn--` label (the URL parser
 * validates punycode) and a last label starting with a letter (the URL parser reads a numeric last
 * label as IPv4): for these the WHATWG host is the text itself, so the parser can be skipped. A
 * property test (hosts.test.ts) checks this agreement with `new URL`.
 *
 * Not every `normalizeHost` result is plain: `0x7f．.` normalises to `0x7f`, which a URL reads as
 * an IPv4 address. Code that treats a listed domain d as the host of `https://d/` checks this first.
 */
export function isPlainHost(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  let labelStart = 0;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? s.charCodeAt(i) : 46;
    if (c === 46 /* . */) {
      if (i === labelStart) return false; // empty label
      if (i - labelStart >= 4 && s.startsWith('xn--', labelStart)) return false;
      if (i === n) {
        const first = s.charCodeAt(labelStart);
        return first >= 97 && first <= 122;
      }
      labelStart = i + 1;
    } else if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45)) {
      return false;
    }
  }
  return false;
}

/** Normalise a host or domain as written in a policy; returns '' when it is not a bare domain name. */
export function normalizeHost(input: string): string {
  if (typeof input !== 'string') return '';
  if (isPlainHost(input)) return input;
  const raw = input.trim();
  // Checked before parsing: `claude.ai:80` would otherwise lose its (default) port silently.
  if (!raw || NOT_A_BARE_HOST.test(raw)) return '';
  let host: string;
  try {
    host = new URL(`http://${raw}/`).hostname;
  } catch {
    return '';
  }
  host = stripTrailingDots(host);
  // Empty labels (`a..b`, `.a`) are not DNS names; IP literals never match a domain.
  if (!host || host.startsWith('.') || host.includes('..') || IPV4.test(host)) return '';
  return host;
}

function stripTrailingDots(host: string): string {
  let end = host.length;
  while (end > 0 && host.charCodeAt(end - 1) === 46) end--;
  return end === host.length ? host : host.slice(0, end);
}

/**
 * The host of an http(s) URL with a domain name, as the WHATWG parser would give it (lower case,
 * punycode, trailing dots removed), or null for other schemes, IP literals and unparseable text.
 * `https://plain.host/…` URLs (see `isPlainHost`) skip the parser in one scan; anything else —
 * userinfo, ports, upper case, IDN, escapes, trailing dots — goes through it. Never throws.
 */
export function hostOfUrl(url: string): string | null {
  if (typeof url !== 'string') return null;
  const end = plainHostEnd(url);
  if (end >= 0) return url.slice(plainHostStart(url), end);
  const t = parseTarget(url);
  if (!t || t.isIp || !t.host || (t.scheme !== 'https:' && t.scheme !== 'http:')) return null;
  return t.host;
}

/** Where the host of a URL that `plainHostEnd` accepts starts: after `https://` or `http://`. */
export function plainHostStart(url: string): number {
  return url.charCodeAt(4) === 115 /* s */ ? 8 : 7;
}

/**
 * For `https://plain.host/…` and `http://plain.host/…` (lower-case scheme, a host `isPlainHost`
 * accepts, then the end or `/`, `?`, `#`): the end of the host, which starts at
 * `plainHostStart(url)`; the WHATWG host is then exactly that text. -1 for anything else, which
 * must go through the parser (`hostOfUrl` does). Allocates nothing.
 */
export function plainHostEnd(url: string): number {
  // `http` then `s://` or `://`, compared code by code (no startsWith, no string built).
  if (url.charCodeAt(0) !== 104 || url.charCodeAt(1) !== 116 || url.charCodeAt(2) !== 116 || url.charCodeAt(3) !== 112)
    return -1;
  let start: number;
  if (
    url.charCodeAt(4) === 115 /* s */ &&
    url.charCodeAt(5) === 58 &&
    url.charCodeAt(6) === 47 &&
    url.charCodeAt(7) === 47
  )
    start = 8;
  else if (url.charCodeAt(4) === 58 /* : */ && url.charCodeAt(5) === 47 && url.charCodeAt(6) === 47) start = 7;
  else return -1;
  const n = url.length;
  let labelStart = start;
  let i = start;
  let plain = true;
  for (; i < n; i++) {
    const c = url.charCodeAt(i);
    if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45) continue;
    if (c === 46 /* . */) {
      if (i === labelStart || isPunycodeLabel(url, labelStart, i)) {
        plain = false;
        break;
      }
      labelStart = i + 1;
      continue;
    }
    if (c !== 47 /* / */ && c !== 63 /* ? */ && c !== 35 /* # */) plain = false;
    break;
  }
  if (plain && i > labelStart && !isPunycodeLabel(url, labelStart, i)) {
    const first = url.charCodeAt(labelStart);
    if (first >= 97 && first <= 122) return i;
  }
  return -1;
}

function isPunycodeLabel(s: string, from: number, to: number): boolean {
  return (
    to - from >= 4 &&
    s.charCodeAt(from) === 120 &&
    s.charCodeAt(from + 1) === 110 &&
    s.charCodeAt(from + 2) === 45 &&
    s.charCodeAt(from + 3) === 45
  );
}

/** Parse a URL for matching; returns null when it cannot be parsed. Never throws. */
export function parseTarget(url: string): ParsedTarget | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  let host = u.hostname;
  let isIp = false;
  if (host.charCodeAt(0) === 91 /* [ */) {
    host = host.slice(1, -1);
    isIp = true;
  } else {
    host = stripTrailingDots(host);
    isIp = IPV4.test(host);
  }
  return { scheme: u.protocol, host, isIp, path: u.pathname || '/', search: u.search };
}

/** True when `host` is `domain` or one of its subdomains. Both must already be normalised. */
export function hostMatchesDomain(host: string, domain: string): boolean {
  if (!domain || !host) return false;
  return (
    host === domain ||
    (host.length > domain.length && host.endsWith(domain) && host.charCodeAt(host.length - domain.length - 1) === 46)
  );
}

/** Every suffix of a host that could be a listed domain: `a.b.claude.ai` → itself, `b.claude.ai`, `claude.ai`, `ai`. */
export function hostSuffixes(host: string): string[] {
  const out = [host];
  let i = host.indexOf('.');
  while (i !== -1) {
    out.push(host.slice(i + 1));
    i = host.indexOf('.', i + 1);
  }
  return out;
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;
/**
 * Encoded characters some server, proxy or framework reads as structure rather than as data:
 * `/` and `\` as a separator (Apache `AllowEncodedSlashes`, IIS, proxies that decode before
 * routing), `;` as the start of matrix parameters, `#`, `?` and NUL as the end of the path.
 */
const STRUCTURAL = /[/\\;#?\0]/;
/** Whitespace a server may trim from the end of a segment (IIS, Windows file names). */
const TRAILING_SPACE = /(?:[ \t\n\r\v\f]|%(?:20|09|0[a-dA-D]))+$/;
/** Trailing dots and whitespace, in any mix (`/chat. `), which Windows drops from a name. */
const TRAILING_DOTS_AND_SPACE = /(?:[. \t\n\r\v\f]|%(?:20|09|0[a-dA-D]))+$/;

/**
 * Canonical form of a URL path for prefix matching: what *some* server could take it to be, so a
 * path-scoped tool covers every spelling a server may treat as its path. Unreserved characters are
 * percent-decoded (`/%63hat`), and so are separators (`/chat%2Fx`, `/%2Fchat`, `%5C`); the path
 * ends at a decoded `#`, `?` or NUL (`/chat%23x`); matrix parameters are dropped (`/chat;x`,
 * `/chat%3Bx`: Tomcat and Jetty route `/chat;x` as `/chat`); trailing whitespace and dots of a
 * segment are dropped (`/chat%20`, `/chat.`: IIS and Windows do); repeated slashes are collapsed
 * (servers merge them), dot segments resolved, and the result is lower case (DNR `regexFilter` is
 * case-insensitive too), without a trailing slash.
 */
export function normalizePath(path: string): string {
  let p = path;
  if (p.includes('%')) {
    p = p.replace(/%([0-9A-Fa-f]{2})/g, (m, hex: string) => {
      const c = String.fromCharCode(parseInt(hex, 16));
      if (c === '\\') return '/';
      return UNRESERVED.test(c) || STRUCTURAL.test(c) ? c : m;
    });
    const end = p.search(/[#?\0]/);
    if (end >= 0) p = p.slice(0, end);
  }
  if (p.includes(';')) p = p.replace(/;[^/]*/g, '');
  if (/(?:[. \t\n\r\v\f]|%(?:20|09|0[a-dA-D]))(\/|$)/.test(p)) {
    // `.` and `..` stay: they are dot segments, resolved below (`..` goes up, it is not emptied).
    p = p
      .split('/')
      .map((seg) => {
        const trimmed = seg.replace(TRAILING_SPACE, '');
        return trimmed === '.' || trimmed === '..' ? trimmed : seg.replace(TRAILING_DOTS_AND_SPACE, '');
      })
      .join('/');
  }
  if (p.includes('//')) p = p.replace(/\/{2,}/g, '/');
  // Decoding or collapsing can expose `.`/`..` segments; let the URL parser resolve them.
  if (/(^|\/)\.\.?(\/|$)/.test(p)) {
    try {
      p = new URL(p.startsWith('/') ? p : `/${p}`, 'http://h').pathname;
    } catch {
      // keep p as is
    }
  }
  p = p.toLowerCase();
  if (!p.startsWith('/')) p = `/${p}`;
  while (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  return p === '/' ? '' : p;
}

/** Prefixes as `normalizePath` sees them, for `longestPrefix`; compute once per tool. */
export function normalizePrefixes(prefixes: readonly string[]): string[] {
  return prefixes.map(normalizePath);
}

/** Length of the longest normalised prefix that the normalised path falls under, or -1. */
export function longestPrefix(normalizedPath: string, normalizedPrefixes: readonly string[]): number {
  let best = -1;
  for (const prefix of normalizedPrefixes) {
    if (prefix.length <= best) continue;
    if (
      normalizedPath === prefix ||
      (normalizedPath.startsWith(prefix) && normalizedPath.charCodeAt(prefix.length) === 47) /* / */
    ) {
      best = prefix.length;
    }
  }
  return best;
}

/**
 * Length of the longest prefix (normalised, see `normalizePath`) that `path` falls under, or -1.
 * `/chat` covers `/chat`, `/chat/`, `/chat/x`, not `/chatter`. No prefixes: 0 (the whole host).
 */
export function matchedPathLength(path: string, prefixes: readonly string[] | undefined): number {
  if (!prefixes || prefixes.length === 0) return 0;
  return longestPrefix(normalizePath(path), normalizePrefixes(prefixes));
}

/** True when `path` is under one of the prefixes (`/chat` covers `/chat`, `/chat/`, `/chat/x`, not `/chatter`). */
export function pathMatches(path: string, prefixes: readonly string[] | undefined): boolean {
  return matchedPathLength(path, prefixes) >= 0;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
/** Slot layout in `DomainIndex.slots`: hash, suffix length (0 = empty), offset in the pool, list index (-1: no list). */
const SLOT = 4;
/** Smallest suffix filter: 2^12 buckets (1 KiB). */
const FILTER_MIN_BITS = 12;
/** Largest suffix filter: 2^24 buckets (4 MiB), for millions of domains. */
const FILTER_MAX_BITS = 24;

/**
 * Listed domains → small integer ids, answering "which listed domains does this host fall under"
 * in a few cache-line reads even for 100,000 domains. Every label-boundary suffix of every listed
 * domain (`claude.ai` → `ai`, `claude.ai`) is in an open-addressing table of typed arrays, keyed by
 * a hash computed right to left over the host, so a lookup slices no strings and stops at the first
 * suffix no listed domain ends with. A suffix carrying ids is confirmed character by character
 * against a pool of the listed domains: a hash collision can never make a host match a domain.
 *
 * In front of the table sits a small filter (2 bits per hash bucket, a few hundred KiB for 100,000
 * domains, so it stays in cache): "some listed domain ends with a suffix of this hash" and "some
 * listed domain has this hash". A lookup reads the big table only for suffixes the filter says may
 * be a listed domain; the filter can only say "maybe" wrongly, never "no", so it changes no answer.
 *
 * Each distinct listed domain also gets a *key* (0, 1, … in order of first listing), so callers
 * that walk the listed domains (the DNR compiler) can deduplicate them without hashing strings.
 */
export class DomainIndex {
  private slots: Int32Array;
  private mask: number;
  private used = 0;
  private readonly pool: Uint16Array;
  /** Id lists of domains listed with more than one id; a slot refers to list i as -(i + 2). */
  private readonly lists: number[][] = [];
  /** Bucket b (the top bits of a suffix hash) at bits 2(b mod 16) of word b/16: 1 = a suffix, 2 = a listed domain. */
  private readonly filter: Int32Array;
  private readonly filterShift: number;
  /** Slot → key of the listed domain in it, or -1 (parallel to `slots`). */
  private slotKeys: Int32Array;
  /** Key → its code (as `collect` gives it), kept up to date as ids are added. */
  private readonly keyCodes: Int32Array;
  /** Key → number of labels of the domain. */
  private readonly keyLabels: Int32Array;
  private keys = 0;
  /** `inputKeys[n]` is the key of `domains[n]` as given to the constructor (-1 for an empty one). */
  readonly inputKeys: Int32Array;

  /** `domains[i]` (normalised, see `normalizeHost`) is listed with id `ids[i]` ≥ 0; a domain may repeat. */
  constructor(domains: readonly string[], ids: ArrayLike<number>) {
    let chars = 0;
    for (const d of domains) chars += d.length;
    // Sized for the domains; most of their suffixes are shared (`example`), and the table grows
    // when it fills past half (load ≤ 0.5 keeps linear probes short).
    let capacity = 16;
    while (capacity < domains.length * 2) capacity *= 2;
    this.mask = capacity - 1;
    this.slots = new Int32Array(capacity * SLOT);
    this.slotKeys = new Int32Array(capacity).fill(-1);
    // About 8 buckets per domain: a suffix that is no listed domain passes the filter ~1 time in 8.
    let bits = FILTER_MIN_BITS;
    while (bits < FILTER_MAX_BITS && 2 ** bits < domains.length * 8) bits++;
    this.filter = new Int32Array(2 ** (bits - 4));
    this.filterShift = 32 - bits;
    this.keyCodes = new Int32Array(domains.length);
    this.keyLabels = new Int32Array(domains.length);
    this.inputKeys = new Int32Array(domains.length);
    this.pool = new Uint16Array(chars);
    const pool = this.pool;
    let start = 0;
    for (let n = 0; n < domains.length; n++) {
      const domain = domains[n]!;
      let h = FNV_OFFSET;
      let labels = 1;
      this.inputKeys[n] = -1; // an empty domain is never listed
      for (let i = domain.length - 1; i >= 0; i--) {
        const c = domain.charCodeAt(i);
        pool[start + i] = c;
        h = Math.imul(h ^ c, FNV_PRIME);
        if (c === 46) labels++;
        if (i === 0) this.inputKeys[n] = this.insert(h, start, domain.length, ids[n]!, labels);
        else if (domain.charCodeAt(i - 1) === 46) this.insert(h, start + i, domain.length - i, -1, 0);
      }
      start += domain.length;
    }
  }

  /** Number of distinct listed domains (keys are 0 … size - 1). */
  get size(): number {
    return this.keys;
  }

  /** Double the table and re-place every slot (hashes are stored, so nothing is re-hashed). */
  private grow(): void {
    const old = this.slots;
    const oldKeys = this.slotKeys;
    this.slots = new Int32Array(old.length * 2);
    this.slotKeys = new Int32Array(oldKeys.length * 2).fill(-1);
    this.mask = this.slots.length / SLOT - 1;
    for (let at = 0; at < old.length; at += SLOT) {
      if (old[at + 1] === 0) continue;
      let i = old[at]! & this.mask;
      while (this.slots[i * SLOT + 1] !== 0) i = (i + 1) & this.mask;
      this.slots.set(old.subarray(at, at + SLOT), i * SLOT);
      this.slotKeys[i] = oldKeys[at / SLOT]!;
    }
  }

  /** A new key for the listed domain in slot i, listed with `id`. */
  private newKey(i: number, id: number, labels: number): number {
    const key = this.keys++;
    this.slotKeys[i] = key;
    this.keyCodes[key] = id;
    this.keyLabels[key] = labels;
    return key;
  }

  /** Insert a suffix (id -1) or a listed domain (id ≥ 0, returns its key). */
  private insert(h: number, offset: number, length: number, id: number, labels: number): number {
    const b = h >>> this.filterShift;
    this.filter[b >>> 4]! |= (id < 0 ? 1 : 3) << ((b & 15) << 1);
    if ((this.used + 1) * 2 > this.slots.length / SLOT) this.grow();
    const s = this.slots;
    let sawHash = false;
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const at = i * SLOT;
      if (s[at + 1] === 0) {
        // A bare suffix only marks "some listed domain ends with this"; one slot per hash does.
        if (id < 0 && sawHash) return -1;
        s[at] = h;
        s[at + 1] = length;
        s[at + 2] = offset;
        s[at + 3] = id;
        this.used++;
        return id < 0 ? -1 : this.newKey(i, id, labels);
      }
      if (s[at] !== h) continue;
      sawHash = true;
      if (id < 0) return -1;
      if (s[at + 1] === length && this.sameChars(s[at + 2]!, offset, length)) {
        const code = s[at + 3]!;
        if (code === -1) {
          s[at + 3] = id;
          return this.newKey(i, id, labels);
        }
        const key = this.slotKeys[i]!;
        if (code >= 0) {
          if (code !== id) this.keyCodes[key] = s[at + 3] = -(this.lists.push([code, id]) - 1) - 2;
        } else if (!this.lists[-code - 2]!.includes(id)) this.lists[-code - 2]!.push(id);
        return key;
      }
    }
  }

  private sameChars(a: number, b: number, length: number): boolean {
    const p = this.pool;
    for (let k = 0; k < length; k++) if (p[a + k] !== p[b + k]) return false;
    return true;
  }

  /**
   * Write into `out` a code for each listed domain that `host` (normalised) is or falls under,
   * least specific first, and return how many. A code ≥ 0 is the domain's only id; read others
   * with `idsOf`. `out` is caller-owned scratch (128 long covers any DNS name).
   */
  collect(host: string, out: Int32Array): number {
    return this.collectIn(host, 0, host.length, out);
  }

  /** As `collect` for the host `text.slice(from, to)`, without slicing it. */
  collectIn(text: string, from: number, to: number, out: Int32Array): number {
    return this.walk(text, from, to, out, false);
  }

  /** As `collect`, but writes the keys of those listed domains (see `inputKeys`). */
  collectKeys(host: string, out: Int32Array): number {
    return this.walk(host, 0, host.length, out, true);
  }

  /** The suffix walk behind `collectIn` and `collectKeys`: codes, or (`keys`) the domains' keys. */
  private walk(text: string, from: number, to: number, out: Int32Array, keys: boolean): number {
    const s = this.slots;
    const p = this.pool;
    const mask = this.mask;
    const filter = this.filter;
    const shift = this.filterShift;
    let found = 0;
    let h = FNV_OFFSET;
    for (let i = to - 1; i >= from; i--) {
      h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
      if (i !== from && text.charCodeAt(i - 1) !== 46) continue;
      const b = h >>> shift;
      const f = (filter[b >>> 4]! >>> ((b & 15) << 1)) & 3;
      // No listed domain ends with this suffix, so none ends with a longer one either.
      if (f === 0) break;
      // Possibly a suffix, certainly no listed domain: look further left without the table.
      if (f === 1) continue;
      const length = to - i;
      let present = false;
      let code = -1;
      let j = h & mask;
      for (; ; j = (j + 1) & mask) {
        const at = j * SLOT;
        if (s[at + 1] === 0) break;
        if (s[at] !== h) continue;
        present = true;
        if (s[at + 3] === -1 || s[at + 1] !== length) continue;
        const offset = s[at + 2]!;
        let k = 0;
        while (k < length && p[offset + k] === text.charCodeAt(i + k)) k++;
        if (k === length) {
          code = s[at + 3]!;
          break;
        }
      }
      if (!present) break;
      if (code !== -1 && found < out.length) out[found++] = keys ? this.slotKeys[j]! : code;
    }
    return found;
  }

  /** The ids behind a code from `collect`, in insertion order. */
  idsOf(code: number): readonly number[] {
    return code >= 0 ? [code] : this.lists[-code - 2]!;
  }

  /** The code (as `collect` gives it) of the listed domain with this key. */
  codeOfKey(key: number): number {
    return this.keyCodes[key]!;
  }

  /** Number of labels (dots + 1) of the listed domain with this key (`claude.ai`: 2). */
  labelsOfKey(key: number): number {
    return this.keyLabels[key]!;
  }

  /** Every listed domain with its ids, for diagnostics. */
  *entries(): IterableIterator<[string, readonly number[]]> {
    const s = this.slots;
    for (let at = 0; at < s.length; at += SLOT) {
      if (s[at + 1] === 0 || s[at + 3] === -1) continue;
      yield [String.fromCharCode(...this.pool.subarray(s[at + 2]!, s[at + 2]! + s[at + 1]!)), this.idsOf(s[at + 3]!)];
    }
  }
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

/** `https:` anywhere; plain `http:` only for loopback hosts (tests and local trials). */
export function checkFetchUrl(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `"${url}" is not an absolute URL`;
  }
  if (u.protocol === 'https:') return null;
  if (u.protocol === 'http:' && LOOPBACK.test(u.hostname)) return null;
  return `"${url}" must use https: (plain http: is allowed only for localhost)`;
}
