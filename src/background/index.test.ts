/**
 * The worker's per-navigation wiring: which browser events wake it for a page, and what each one
 * does. Page loads pay for every event the browser dispatches to an extension (docs/benchmarks.md,
 * "Fast pages and the detector"), so the worker listens to webNavigation — one small event per step —
 * never to tabs.onUpdated, which fires four to six times per load with the whole tab.
 */
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

type Handler = (...args: unknown[]) => unknown;
const listeners = new Map<string, Handler[]>();

/** A browser whose every event records its listeners by dotted name (`webNavigation.onCommitted`). */
function recordingBrowser(path: string[] = []): unknown {
  return new Proxy(() => undefined, {
    get(_t, key: string) {
      if (key === 'addListener')
        return (fn: Handler) => listeners.set(path.join('.'), [...(listeners.get(path.join('.')) ?? []), fn]);
      if (key === 'then') return undefined;
      return recordingBrowser([...path, key]);
    },
    apply: () => Promise.resolve(undefined),
  });
}

vi.mock('../platform/browser.ts', () => ({ browser: recordingBrowser() }));
const calls: string[] = [];
const note = (name: string) => vi.fn((...args: unknown[]) => void calls.push(`${name} ${args.join(' ')}`));
vi.mock('./enforcement.ts', () => ({
  applyRules: vi.fn(),
  ensureReady: vi.fn(async () => undefined),
  heartbeatNow: vi.fn(),
  noteLocalChange: vi.fn(),
  refreshPolicy: vi.fn(),
  enforceTab: note('enforce'),
  injectOnDemand: note('banner'),
}));
vi.mock('./discovery.ts', () => ({ scheduleDetector: note('schedule-detector') }));
vi.mock('./badge.ts', () => ({ updateBadge: note('badge') }));
vi.mock('./handlers.ts', () => ({ HANDLERS: {} }));
vi.mock('../platform/request-dispatch.ts', () => ({ answerRequests: vi.fn() }));
vi.mock('./audit.ts', () => ({ AUDIT_ALARM: 'a', HEARTBEAT_ALARM: 'h', handleAuditAlarm: vi.fn() }));
vi.mock('./location.ts', () => ({
  LOCATION_ALARM: 'l',
  LOCATION_EXPIRY_ALARM: 'le',
  expireLocation: vi.fn(),
  handleIdleState: vi.fn(),
  refreshLocation: vi.fn(),
}));

beforeAll(async () => {
  await import('./index.ts');
});
beforeEach(() => void calls.splice(0));

const fire = (event: string, details: Record<string, unknown>) => {
  const fns = listeners.get(event) ?? [];
  expect(fns, `a listener on ${event}`).toHaveLength(1);
  for (const fn of fns) fn(details);
};

describe('per-navigation listeners', () => {
  it('never listens to tabs.onUpdated (several whole-tab events per page load)', () => {
    expect(listeners.has('tabs.onUpdated')).toBe(false);
    expect([...listeners.keys()].filter((k) => k.startsWith('webNavigation.')).sort()).toEqual([
      'webNavigation.onCommitted',
      'webNavigation.onCompleted',
      'webNavigation.onHistoryStateUpdated',
      'webNavigation.onReferenceFragmentUpdated',
    ]);
  });

  it('a new document in a tab: the detector re-armed for it (a prerendered page completed before), the address enforced, the badge set', () => {
    fire('webNavigation.onCommitted', { tabId: 4, frameId: 0, url: 'https://claude.ai/new' });
    expect(calls).toEqual([
      'schedule-detector 4 https://claude.ai/new',
      'enforce 4 https://claude.ai/new',
      'badge 4 https://claude.ai/new',
    ]);
  });

  it('single-page-app routes (pushState, a new fragment) are enforced like navigations', () => {
    fire('webNavigation.onHistoryStateUpdated', { tabId: 4, frameId: 0, url: 'https://chat.example/c/1' });
    fire('webNavigation.onReferenceFragmentUpdated', { tabId: 4, frameId: 0, url: 'https://chat.example/#c2' });
    expect(calls).toEqual([
      'enforce 4 https://chat.example/c/1',
      'badge 4 https://chat.example/c/1',
      'enforce 4 https://chat.example/#c2',
      'badge 4 https://chat.example/#c2',
    ]);
  });

  it('a loaded page gets the on-demand banner and, later, the detector', () => {
    fire('webNavigation.onCompleted', { tabId: 4, frameId: 0, url: 'https://news.example/' });
    expect(calls).toEqual(['banner 4 https://news.example/', 'schedule-detector 4 https://news.example/']);
  });

  it("frames inside a page change nothing of the tab (its address, badge and detector are the top frame's)", () => {
    for (const event of [
      'webNavigation.onCommitted',
      'webNavigation.onHistoryStateUpdated',
      'webNavigation.onReferenceFragmentUpdated',
      'webNavigation.onCompleted',
    ]) {
      fire(event, { tabId: 4, frameId: 7, url: 'https://ads.example/frame' });
    }
    expect(calls).toEqual([]);
  });
});
