/**
 * Host handling that cannot be fooled by URL tricks (Contract 2): the WHATWG URL parser does
 * lower-casing, IDN→punycode, percent-decoding of hosts and userinfo separation for us.
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

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Normalise a host or domain as written in a policy or URL; returns '' when it is not a host. */
export function normalizeHost(input: string): string {
  const raw = input.trim();
  if (!raw) return '';
  try {
    const u = new URL(`http://${raw}/`);
    // Anything beyond the host (path, userinfo, port) means the input was not a bare host.
    if (u.username || u.password || u.port || u.pathname !== '/' || u.search || u.hash) return '';
    return u.hostname.replace(/\.+$/, '');
  } catch {
    return '';
  }
}

/** Parse a URL for matching; returns null when it cannot be parsed. Never throws. */
export function parseTarget(url: string): ParsedTarget | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  let host = u.hostname.replace(/\.+$/, '');
  let isIp = false;
  if (host.startsWith('[')) {
    host = host.slice(1, -1);
    isIp = true;
  } else if (IPV4.test(host)) {
    isIp = true;
  }
  return { scheme: u.protocol, host, isIp, path: u.pathname || '/', search: u.search };
}

/** True when `host` is `domain` or one of its subdomains. Both must already be normalised. */
export function hostMatchesDomain(host: string, domain: string): boolean {
  if (!domain || !host) return false;
  return host === domain || (host.length > domain.length && host.endsWith(domain) && host[host.length - domain.length - 1] === '.');
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

/** True when `path` is under one of the prefixes (`/chat` covers `/chat`, `/chat/`, `/chat/x`, not `/chatter`). */
export function pathMatches(path: string, prefixes: readonly string[] | undefined): boolean {
  if (!prefixes || prefixes.length === 0) return true;
  return prefixes.some((p) => {
    if (p.endsWith('/')) return path.startsWith(p) || path === p.slice(0, -1);
    return path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`) || path.startsWith(`${p}?`);
  });
}
