/**
 * The storage registry reads back what it wrote, and treats a value that does not match its schema
 * (an older version's shape, a hand edit) as absent — named in the console, never a crash and
 * never weaker enforcement than the defaults.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fake, resetFakeBrowser } from '../../test/fakes/browser.ts';

vi.mock('../platform/browser.ts', async () => ({
  browser: (await import('../../test/fakes/browser.ts')).fake.browser,
}));

const { loadState, readKey, saveState } = await import('./storage.ts');

beforeEach(() => resetFakeBrowser());

describe('the storage registry', () => {
  it('gives every key its default when nothing is stored', async () => {
    const state = await loadState();
    expect(state).toMatchObject({
      policyRecord: null,
      acknowledged: {},
      blockedTools: [],
      contentOnDemand: false,
      discovered: {},
      noticeAcks: {},
    });
  });

  it('reads back what it saved, under the key names existing profiles use', async () => {
    await saveState({
      acknowledged: { claude: 123 },
      lastApplied: { serial: 42, mode: 'enforcing', ruleCount: 3, at: '2026-11-25T00:00:00Z' },
    });
    expect(Object.keys(fake.local).sort()).toEqual(['acknowledged', 'lastApplied']);
    expect(await readKey('acknowledged')).toEqual({ claude: 123 });
    expect((await loadState()).lastApplied).toMatchObject({ serial: 42 });
  });

  it('treats a value of the wrong shape as absent and names the key', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    fake.local.acknowledged = { claude: 'forever' };
    fake.local.policyRecord = { jws: 42 };
    fake.local.lastConfirmedAt = 'not a date';
    fake.local.blockedTools = 'claude';
    const state = await loadState();
    expect(state.acknowledged).toEqual({});
    expect(state.policyRecord).toBeNull();
    expect(state.lastConfirmedAt).toBeNull();
    expect(state.blockedTools).toEqual([]);
    for (const key of ['acknowledged', 'policyRecord', 'lastConfirmedAt', 'blockedTools']) {
      expect(warn).toHaveBeenCalledWith(expect.stringContaining(`"${key}"`));
    }
    warn.mockRestore();
  });
});
