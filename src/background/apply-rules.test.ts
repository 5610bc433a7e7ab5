/**
 * Installing a plan's network rules against the shared fake browser, which refuses an update past
 * Chromium's dynamic-rule limits as the browser does: the rules installed before stay, and the
 * refusal is said, not thrown.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { DnrRule } from '../core/dnr/dnr.ts';
import { DNR_LIMITS, fake, resetFakeBrowser } from '../../test/fakes/browser.ts';

vi.mock('../platform/browser.ts', async () => ({
  browser: (await import('../../test/fakes/browser.ts')).fake.browser,
}));

const { installRules } = await import('./apply-rules.ts');

const redirect = (id: number): DnrRule => ({
  id,
  priority: 1,
  action: { type: 'redirect', redirect: { regexSubstitution: 'chrome-extension://test/block.html#\\0' } },
  condition: { requestDomains: [`t${id}.example`], resourceTypes: ['main_frame'] },
});

beforeEach(() => resetFakeBrowser());

describe('installRules', () => {
  it('installs in one call, and makes none when the same rules are installed', async () => {
    expect(await installRules([redirect(1), redirect(2)])).toBeNull();
    expect(await installRules([redirect(2), redirect(1)])).toBeNull();
    expect(fake.updates).toHaveLength(1);
  });

  it('keeps the rules installed before when the browser refuses an update past its limits, and says why', async () => {
    await installRules([redirect(1)]);
    const tooMany = Array.from({ length: DNR_LIMITS.unsafe + 1 }, (_, i) => redirect(i + 1));
    expect(await installRules(tooMany)).toMatch(/^the browser refused the network rules: .*unsafe rule count/);
    expect(fake.rules.map((r) => r.id)).toEqual([1]);
  });
});
