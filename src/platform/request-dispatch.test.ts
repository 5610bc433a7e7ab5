import { describe, expect, it, vi } from 'vitest';
import type { MessageSender } from './browser.ts';
import { REQUESTS, type Request, type RequestKind } from './messages.ts';

type Listener = (message: unknown, sender: MessageSender, sendResponse: (response: unknown) => void) => unknown;
const listeners: Listener[] = [];
const SELF = { id: 'abcdefghijklmnopabcdefghijklmnop', base: 'chrome-extension://abcdefghijklmnopabcdefghijklmnop/' };
vi.mock('./browser.ts', () => ({
  browser: {
    runtime: {
      id: 'abcdefghijklmnopabcdefghijklmnop',
      getURL: (path: string) => `chrome-extension://abcdefghijklmnopabcdefghijklmnop/${path}`,
      onMessage: { addListener: (l: Listener) => listeners.push(l) },
    },
  },
}));
const { answerRequests, checkRequest, dispatch } = await import('./request-dispatch.ts');

/** One well-formed request of every kind (the type makes a new kind fail to compile here). */
const SAMPLES: { [K in RequestKind]: Extract<Request, { type: K }> } = {
  'page-visit': { type: 'page-visit', url: 'https://claude.ai/chat', frame: 'top' },
  'get-data-controls': { type: 'get-data-controls', url: 'https://claude.ai/', languages: ['en'] },
  'data-control-event': {
    type: 'data-control-event',
    url: 'https://claude.ai/',
    kind: 'paste',
    outcome: 'blocked',
    ruleId: 'R1',
    patterns: [{ name: 'iban', count: 1 }],
  },
  'get-model-rules': { type: 'get-model-rules', url: 'https://claude.ai/', languages: ['en'] },
  'model-event': { type: 'model-event', url: 'https://claude.ai/', ruleId: 'R1', model: 'opus', outcome: 'block' },
  discovered: { type: 'discovered', signals: ['chat-input'] },
  'get-status': { type: 'get-status' },
  'get-popup': { type: 'get-popup', tabUrl: null },
  explain: { type: 'explain', url: 'https://claude.ai/' },
  proceed: { type: 'proceed', url: 'https://claude.ai/', justification: 'client memo' },
  'refresh-policy': { type: 'refresh-policy' },
  'acknowledge-notice': { type: 'acknowledge-notice', ruleId: 'R1', version: 2 },
  'get-matrix': { type: 'get-matrix' },
};
const KINDS = Object.keys(REQUESTS) as RequestKind[];
const PRIVILEGED = KINDS.filter((k) => REQUESTS[k].privileged);
const CONTENT_KINDS = KINDS.filter((k) => !REQUESTS[k].privileged);

const popup: MessageSender = { id: SELF.id, url: `${SELF.base}popup.html` };
const contentScript: MessageSender = {
  id: SELF.id,
  url: 'https://claude.ai/chat',
  tab: { id: 4, index: 0, highlighted: false, active: true, pinned: false, incognito: false },
  frameId: 0,
};

const refusal = (message: unknown, sender: MessageSender) => {
  const checked = checkRequest(message, sender, SELF);
  return 'error' in checked ? checked.error : null;
};

describe('checkRequest: senders', () => {
  it('lets the extension pages send every kind', () => {
    for (const kind of KINDS) expect(refusal(SAMPLES[kind], popup), kind).toBeNull();
  });

  it('lets content scripts send only the kinds about their own page', () => {
    expect(CONTENT_KINDS).toEqual([
      'page-visit',
      'get-data-controls',
      'data-control-event',
      'get-model-rules',
      'model-event',
      'discovered',
    ]);
    for (const kind of CONTENT_KINDS) expect(refusal(SAMPLES[kind], contentScript), kind).toBeNull();
  });

  it('refuses every privileged kind from a content script, however well-formed', () => {
    expect(PRIVILEGED.length).toBeGreaterThan(0);
    for (const kind of PRIVILEGED)
      expect(refusal(SAMPLES[kind], contentScript), kind).toBe(
        `request "${kind}" is not allowed from https://claude.ai/chat`,
      );
  });

  it('refuses senders that are not this extension, or not where its scripts and pages run', () => {
    const others: [string, MessageSender][] = [
      [
        'another extension',
        { id: 'ponmlkjihgfedcbaponmlkjihgfedcba', url: 'chrome-extension://ponmlkjihgfedcbaponmlkjihgfedcba/x.html' },
      ],
      [
        'another extension claiming our page',
        { id: 'ponmlkjihgfedcbaponmlkjihgfedcba', url: `${SELF.base}popup.html` },
      ],
      ['a sender without an id', { url: 'https://claude.ai/', tab: contentScript.tab }],
      ['our script outside a tab', { id: SELF.id, url: 'https://claude.ai/' }],
      ['our script in a non-web page', { id: SELF.id, url: 'file:///etc/passwd', tab: contentScript.tab }],
      ['a look-alike origin', { id: SELF.id, url: `${SELF.base.slice(0, -1)}.evil.example/popup.html` }],
    ];
    for (const [name, sender] of others) {
      expect(refusal(SAMPLES['page-visit'], sender), name).toMatch(/^request "page-visit" is not allowed from /);
      expect(refusal(SAMPLES['get-status'], sender), name).toMatch(/^request "get-status" is not allowed from /);
    }
  });
});

describe('checkRequest: malformed requests get a clear error', () => {
  it.each([
    [null, 'malformed request: expected an object with a string "type"'],
    ['get-status', 'malformed request: expected an object with a string "type"'],
    [{ type: 7 }, 'malformed request: expected an object with a string "type"'],
    [{ type: 'delete-everything' }, 'unknown request "delete-everything"'],
    [{ type: 'constructor' }, 'unknown request "constructor"'],
    [{ type: '__proto__' }, 'unknown request "__proto__"'],
  ])('%j', (message, error) => {
    expect(refusal(message, popup)).toBe(error);
  });

  it.each([
    [{ type: 'page-visit', url: 42, frame: 'top' }, /^malformed "page-visit" request: url: /],
    [{ type: 'page-visit', url: 'https://claude.ai/', frame: 'side' }, /^malformed "page-visit" request: frame: /],
    [
      { type: 'page-visit', url: 'https://claude.ai/', frame: 'top', tabId: 3 },
      /^malformed "page-visit" request: tabId: /,
    ],
    [
      { type: 'page-visit', url: `https://claude.ai/${'a'.repeat(2 * 1024 * 1024)}`, frame: 'top' },
      /^malformed "page-visit" request: url: /,
    ],
    [
      {
        type: 'data-control-event',
        url: 'https://claude.ai/',
        kind: 'paste',
        outcome: 'allowed',
        ruleId: null,
        patterns: [],
      },
      /outcome: /,
    ],
    [
      {
        type: 'data-control-event',
        url: 'https://claude.ai/',
        kind: 'paste',
        outcome: 'blocked',
        ruleId: null,
        patterns: 'iban',
      },
      /patterns: /,
    ],
    [{ type: 'model-event', url: 'https://claude.ai/', ruleId: 'R1', model: 'opus', outcome: 'allow' }, /outcome: /],
    [{ type: 'discovered', signals: 'chat-input' }, /signals: /],
    [{ type: 'get-model-rules', url: 'https://claude.ai/' }, /languages: /],
  ])('from a content script: %j', (message, error) => {
    expect(refusal(message, contentScript)).toMatch(error);
  });

  it.each([
    [{ type: 'acknowledge-notice', ruleId: 'R1', version: 1.5 }, /^malformed "acknowledge-notice" request: version: /],
    [{ type: 'acknowledge-notice', ruleId: 'R1' }, /version: /],
    [{ type: 'proceed', url: 'https://claude.ai/', justification: { text: 'x' } }, /justification: /],
    [{ type: 'get-popup' }, /tabUrl: /],
  ])('from an extension page: %j', (message, error) => {
    expect(refusal(message, popup)).toMatch(error);
  });

  it('returns the request as validated', () => {
    expect(checkRequest(SAMPLES['data-control-event'], contentScript, SELF)).toEqual({
      request: SAMPLES['data-control-event'],
    });
  });
});

describe('dispatch and answerRequests', () => {
  const handlers = Object.fromEntries(
    KINDS.map((k) => [k, vi.fn(async () => ({ ok: true, kind: k }))]),
  ) as never as Parameters<typeof dispatch>[2];

  it('never runs a handler for a refused request', async () => {
    await expect(dispatch(SAMPLES['refresh-policy'], contentScript, handlers, SELF)).rejects.toThrow(
      'request "refresh-policy" is not allowed from https://claude.ai/chat',
    );
    await expect(
      dispatch({ type: 'page-visit', url: 'https://claude.ai/' }, contentScript, handlers, SELF),
    ).rejects.toThrow(/^malformed "page-visit" request: frame: /);
    for (const kind of KINDS) expect(handlers[kind]).not.toHaveBeenCalled();
  });

  it('runs the handler of the kind with the validated request and the sender', async () => {
    await expect(dispatch(SAMPLES['page-visit'], contentScript, handlers, SELF)).resolves.toEqual({
      ok: true,
      kind: 'page-visit',
    });
    expect(handlers['page-visit']).toHaveBeenCalledWith(SAMPLES['page-visit'], contentScript);
  });

  it('answers in an envelope through sendResponse, keeping the channel open', async () => {
    answerRequests(handlers);
    const listener = listeners.at(-1)!;
    const answers: unknown[] = [];
    expect(listener(SAMPLES['get-status'], popup, (r) => answers.push(r))).toBe(true);
    expect(listener(SAMPLES['get-status'], contentScript, (r) => answers.push(r))).toBe(true);
    await vi.waitFor(() => expect(answers).toHaveLength(2));
    expect(answers).toContainEqual({ value: { ok: true, kind: 'get-status' } });
    expect(answers).toContainEqual({ error: 'request "get-status" is not allowed from https://claude.ai/chat' });
  });
});
