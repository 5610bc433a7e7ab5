/**
 * The worker's side of the message protocol: every request is checked (known kind, allowed sender,
 * matching schema; ./messages.ts) before a handler sees it, and answered in an envelope.
 *
 * Senders use `sendRequest` (./browser.ts). This file stays out of content scripts: it carries
 * valibot and the schemas.
 */
import * as v from 'valibot';
import { browser, type Envelope, type MessageSender } from './browser.ts';
import { REQUESTS, type Request, type RequestKind, type RequestOf, type ResponseMap } from './messages.ts';

/** The extension itself, as the worker sees it: its ID and the origin of its pages, with a slash. */
export interface Self {
  id: string;
  base: string;
}

/**
 * A sender is an extension page when it is our extension (`sender.id`) and its document is one of
 * our pages (`sender.url` under the extension's origin). Chrome documents both fields
 * (https://developer.chrome.com/docs/extensions/reference/api/runtime#type-MessageSender).
 */
function isExtensionPage(sender: MessageSender, self: Self): boolean {
  return sender.id === self.id && !!sender.url && sender.url.startsWith(self.base);
}

/**
 * A content script of ours, running in a web page in a tab: `sender.tab` says "in a tab" (an
 * extension page open in a tab has one too, hence the web URL).
 */
function isContentScript(sender: MessageSender, self: Self): boolean {
  return sender.id === self.id && !!sender.tab && /^https?:/.test(sender.url ?? '');
}

/** One line per problem, with the field's path, for the sender's error message. */
function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => {
      const path = v.getDotPath(issue);
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}

const KindSchema = v.object({ type: v.string() });

/**
 * Check one incoming message: a known kind, from a sender allowed to send it, matching its schema.
 * Returns the validated request, or the reason it is refused.
 */
export function checkRequest(
  message: unknown,
  sender: MessageSender,
  self: Self,
): { request: Request } | { error: string } {
  const head = v.safeParse(KindSchema, message);
  if (!head.success) return { error: 'malformed request: expected an object with a string "type"' };
  const kind = head.output.type;
  if (!Object.hasOwn(REQUESTS, kind)) return { error: `unknown request ${JSON.stringify(kind.slice(0, 100))}` };
  const entry = REQUESTS[kind as RequestKind];
  const allowed = isExtensionPage(sender, self) || (!entry.privileged && isContentScript(sender, self));
  if (!allowed) return { error: `request "${kind}" is not allowed from ${sender.url ?? 'an unknown sender'}` };
  const parsed = v.safeParse(entry.schema, message);
  if (!parsed.success) return { error: `malformed "${kind}" request: ${describeIssues(parsed.issues)}` };
  return { request: parsed.output };
}

/** The worker's handler for each request kind, given the validated request. */
export type Handlers = {
  [K in RequestKind]: (request: RequestOf<K>, sender: MessageSender) => Promise<ResponseMap[K]>;
};

/** Validate one message and run its handler; rejects with the reason a request is refused. */
export async function dispatch(
  message: unknown,
  sender: MessageSender,
  handlers: Handlers,
  self: Self,
): Promise<unknown> {
  const checked = checkRequest(message, sender, self);
  if ('error' in checked) throw new Error(checked.error);
  const handle = handlers[checked.request.type] as (request: Request, sender: MessageSender) => Promise<unknown>;
  return handle(checked.request, sender);
}

/**
 * Answer the requests that reach the worker. Register at the worker's top level: only listeners
 * added in its first turn receive the message that woke it.
 */
export function answerRequests(handlers: Handlers): void {
  browser.runtime.onMessage.addListener((message, sender, sendResponse) => {
    const self = { id: browser.runtime.id, base: browser.runtime.getURL('') };
    dispatch(message, sender, handlers, self).then(
      (value) => sendResponse({ value } satisfies Envelope),
      (e: unknown) => sendResponse({ error: e instanceof Error ? e.message : String(e) } satisfies Envelope),
    );
    // Keep the channel open: the answer is sent once the handler has finished.
    return true;
  });
}
