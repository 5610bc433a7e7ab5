import { describe, expect, it } from 'vitest';
import { pickSiteTab } from './current-tab.ts';

const EXT = 'chrome-extension://abcdefghijklmnopabcdefghijklmnop/';

describe('pickSiteTab', () => {
  it('takes the most recently used other tab that shows a site', () => {
    const tabs = [
      { id: 1, url: 'https://old.example/', lastAccessed: 100 },
      { id: 2, url: 'https://claude.ai/new', lastAccessed: 300 },
      { id: 3, url: `${EXT}popup.html`, lastAccessed: 400 },
      { id: 4, url: 'chrome://settings/', lastAccessed: 350 },
    ];
    expect(pickSiteTab(tabs, 3, EXT)).toBe('https://claude.ai/new');
  });

  it('never picks itself and reads the site behind a block page', () => {
    const tabs = [
      { id: 7, url: 'https://self.example/', lastAccessed: 900 },
      { id: 8, url: `${EXT}block.html#https://claude.ai/x`, lastAccessed: 800 },
    ];
    expect(pickSiteTab(tabs, 7, EXT)).toBe('https://claude.ai/x');
  });

  it('is null when no tab shows a site', () => {
    expect(pickSiteTab([{ id: 1, url: 'about:blank' }], 2, EXT)).toBeNull();
  });
});
