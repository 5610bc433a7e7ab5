/**
 * Web proxies that relay a whole site under a host of their own, decided as the site they relay.
 * Pure: no browser API.
 *
 * Google Translate's website proxy serves `https://claude.ai/x` as
 * `https://claude-ai.translate.goog/x?_x_tr_sl=…`: the page, its scripts and its API calls all go
 * through Google to the vendor, so a block on `claude.ai` that ignored the proxy would be a block in
 * name only. The host is the relayed host with `-` written `--` and `.` written `-`, as any link
 * that Google Translate's "translate this page" produces shows.
 */
import { normalizeHost } from './hosts.ts';

/** The Google Translate proxy's domain: one label before it names the relayed host. */
export const TRANSLATE_PROXY_DOMAIN = 'translate.goog';
const SUFFIX = `.${TRANSLATE_PROXY_DOMAIN}`;
/** A DNS label holds at most 63 octets (RFC 1035 §2.3.4): longer encodings cannot exist. */
const MAX_LABEL = 63;

/** `claude.ai` → `claude-ai.translate.goog`; null when the encoded label would be too long. */
export function encodeTranslateHost(host: string): string | null {
  const label = host.replaceAll('-', '--').replaceAll('.', '-');
  return label.length <= MAX_LABEL ? `${label}${SUFFIX}` : null;
}

/** `claude-ai` → `claude.ai`, `my--site-com` → `my-site.com`; null when it decodes to no domain name. */
export function decodeTranslateLabel(label: string): string | null {
  let out = '';
  for (let i = 0; i < label.length; i++) {
    if (label[i] !== '-') out += label[i];
    else if (label[i + 1] === '-') {
      out += '-';
      i++;
    } else out += '.';
  }
  // Only a name with a dot is a relayed site; `translate.goog` hosts of Google's own are not.
  if (!out.includes('.')) return null;
  const host = normalizeHost(out);
  return host === out ? host : null;
}

/** The host a proxy host relays (`claude-ai.translate.goog` → `claude.ai`), or null. */
export function proxiedHostOf(host: string): string | null {
  if (!host.endsWith(SUFFIX)) return null;
  const label = host.slice(0, -SUFFIX.length);
  if (label.includes('.')) return null;
  return decodeTranslateLabel(label);
}

/**
 * The URL a proxied URL stands for (`https://claude-ai.translate.goog/new?_x_tr_sl=auto` →
 * `https://claude.ai/new?_x_tr_sl=auto`), with the relayed host; null for any other URL. Cheap for
 * the common case: URLs that do not mention the proxy are not parsed.
 */
export function decodeProxiedUrl(url: string): { url: string; host: string } | null {
  if (typeof url !== 'string' || !url.includes(SUFFIX)) return null;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return null;
  const host = proxiedHostOf(u.hostname.replace(/\.$/, ''));
  if (!host) return null;
  return { url: `${u.protocol}//${host}${u.pathname}${u.search}`, host };
}
