/** Address handling shared by the pages: which URL a page explains, and how to show it. */

/** true for absolute http(s) URLs, the only kind we link to or navigate to. */
export function isWebUrl(value: string | null | undefined): boolean {
  if (!value) return false;
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * The address a block/warn page explains: the whole fragment after the first `#` (the DNR redirect
 * appends it unencoded, and it may carry a `#` of its own). Anything but http(s) is refused, so a
 * crafted `warn.html#javascript:…` can never become a link or a `location.replace` target.
 */
export function explainedUrl(pageHref: string): string | null {
  const i = pageHref.indexOf('#');
  if (i < 0) return null;
  const raw = pageHref.slice(i + 1);
  if (isWebUrl(raw)) return raw;
  // Some openers percent-encode the fragment; accept that too.
  try {
    const decoded = decodeURIComponent(raw);
    return isWebUrl(decoded) ? decoded : null;
  } catch {
    return null;
  }
}

/** The host as an employee recognises it (no "www.", Unicode for IDNs is left to the browser). */
export function displayHost(url: string): string {
  try {
    return new URL(url).hostname.replace(/^www\./, '');
  } catch {
    return url;
  }
}

/**
 * The site a tab is about: its own http(s) URL, or, when the tab shows our block or warn page,
 * the address that page explains. `extensionBase` is `runtime.getURL('')`.
 */
export function siteUrlOfTab(tabUrl: string | undefined, extensionBase: string): string | null {
  if (!tabUrl) return null;
  if (isWebUrl(tabUrl)) return tabUrl;
  if (extensionBase && tabUrl.startsWith(extensionBase)) {
    const page = tabUrl.slice(extensionBase.length).split(/[?#]/)[0];
    if (page === 'block.html' || page === 'warn.html') return explainedUrl(tabUrl);
  }
  return null;
}

/** Origin and path only: queries and fragments can carry tokens or document ids. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return u.origin + u.pathname;
  } catch {
    return url;
  }
}

/** A contact as a link target: e-mail addresses become mailto:, web addresses stay, else none. */
export function contactHref(contact: string): string | null {
  const c = contact.trim();
  if (/^mailto:/i.test(c)) return c;
  if (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(c)) return `mailto:${c}`;
  if (isWebUrl(c)) return c;
  return null;
}
