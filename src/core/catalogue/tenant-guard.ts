/**
 * Routes around a vendor's tenant restriction: endpoints that serve the tool without an account,
 * where a tenant header has no account to check. Wherever a tool carries one of the listed tenant
 * headers (so the company relies on the vendor refusing personal use), the network rules block
 * these paths outright. Pure data; `src/core/catalogue/tenant-headers.json` keeps the sources.
 */

export interface LoggedOutRoute {
  /** Tenant header names (lower case) whose presence on a tool turns the block on. */
  headers: readonly string[];
  domain: string;
  /** Normalised path prefix. */
  prefix: string;
}

/**
 * ChatGPT answers logged-out visitors through `/backend-anon/…` (the web app's guest mode): no
 * workspace, so `ChatGPT-Allowed-Workspace-Id` has nothing to refuse.
 */
export const LOGGED_OUT_ROUTES: readonly LoggedOutRoute[] = [
  { headers: ['chatgpt-allowed-workspace-id'], domain: 'chatgpt.com', prefix: '/backend-anon' },
];

/** The logged-out routes to block for a tool carrying these tenant header names. */
export function loggedOutRoutesFor(headerNames: readonly string[]): LoggedOutRoute[] {
  const lower = headerNames.map((h) => h.toLowerCase());
  return LOGGED_OUT_ROUTES.filter((r) => r.headers.some((h) => lower.includes(h)));
}
