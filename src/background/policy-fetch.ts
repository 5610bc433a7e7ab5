/**
 * Downloads the signed policy: bounded in size and time (TUF's "endless data" and "slow retrieval"
 * attacks), conditional (ETag / Last-Modified) so 50,000 browsers polling cost the host little.
 */
import { MAX_POLICY_BYTES } from '../core/policy/verify.ts';

export const FETCH_TIMEOUT_MS = 30_000;

export type FetchOutcome =
  | { kind: 'ok'; text: string; etag: string | null; lastModified: string | null }
  | { kind: 'not-modified' }
  | { kind: 'error'; code: 'fetch-failed' | 'timeout' | 'http-error' | 'too-large'; message: string };

/** Fetch the policy document; never throws. */
export async function fetchPolicy(
  url: string,
  previous: { etag: string | null; lastModified: string | null } | null,
  timeoutMs = FETCH_TIMEOUT_MS,
): Promise<FetchOutcome> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const headers: Record<string, string> = {
      Accept: 'application/jose, application/jose+json, application/json;q=0.9, */*;q=0.1',
    };
    if (previous?.etag) headers['If-None-Match'] = previous.etag;
    if (previous?.lastModified) headers['If-Modified-Since'] = previous.lastModified;
    // Redirects to another host are refused: the policy URL IT configured is the only source.
    const res = await fetch(url, {
      headers,
      cache: 'no-store',
      credentials: 'omit',
      redirect: 'error',
      signal: controller.signal,
    });
    if (res.status === 304) {
      // Only an answer to our own validators means "keep what you have"; otherwise it is a server fault.
      if (previous?.etag || previous?.lastModified) return { kind: 'not-modified' };
      return {
        kind: 'error',
        code: 'http-error',
        message: 'the policy server answered 304 Not Modified to a request that was not conditional',
      };
    }
    if (!res.ok)
      return {
        kind: 'error',
        code: 'http-error',
        message: `the policy server answered HTTP ${res.status} ${res.statusText}`.trim(),
      };
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > MAX_POLICY_BYTES) return tooLarge();
    const text = await readCapped(res, MAX_POLICY_BYTES);
    if (text === null) return tooLarge();
    return { kind: 'ok', text, etag: res.headers.get('etag'), lastModified: res.headers.get('last-modified') };
  } catch (e) {
    if (controller.signal.aborted) {
      return {
        kind: 'error',
        code: 'timeout',
        message: `the policy server did not deliver the policy within ${Math.round(timeoutMs / 1000)} s`,
      };
    }
    return {
      kind: 'error',
      code: 'fetch-failed',
      message: `cannot reach the policy server: ${e instanceof Error ? e.message : String(e)}`,
    };
  } finally {
    clearTimeout(timer);
  }
}

function tooLarge(): FetchOutcome {
  return {
    kind: 'error',
    code: 'too-large',
    message: `the policy is larger than ${MAX_POLICY_BYTES / 1024 / 1024} MiB and was not read`,
  };
}

/** Read a body as text, giving up (null) past `cap` bytes instead of buffering an endless stream. */
export async function readCapped(res: Response, cap: number): Promise<string | null> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > cap) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    all.set(c, off);
    off += c.byteLength;
  }
  // Non-UTF-8 bytes are caught later by verification of the payload; the JWS itself is ASCII.
  return new TextDecoder().decode(all);
}
