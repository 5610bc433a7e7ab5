import { describe, expect, it } from 'vitest';
import { contactHref, displayHost, explainedUrl, redactUrl, siteUrlOfTab } from './url.ts';

const EXT = 'chrome-extension://abcdefghijklmnopabcdefghijklmnop/';

describe('explainedUrl', () => {
  it('takes the whole fragment, including a fragment of its own', () => {
    expect(explainedUrl(`${EXT}block.html#https://claude.ai/new?x=1#top`)).toBe('https://claude.ai/new?x=1#top');
  });
  it('accepts a percent-encoded address', () => {
    expect(explainedUrl(`${EXT}warn.html#${encodeURIComponent('https://claude.ai/a?b=c')}`)).toBe(
      'https://claude.ai/a?b=c',
    );
  });
  it('refuses anything that is not http(s)', () => {
    expect(explainedUrl(`${EXT}warn.html#javascript:alert(1)`)).toBeNull();
    expect(explainedUrl(`${EXT}warn.html#${encodeURIComponent('javascript:alert(1)')}`)).toBeNull();
    expect(explainedUrl(`${EXT}warn.html#data:text/html,hi`)).toBeNull();
    expect(explainedUrl(`${EXT}warn.html`)).toBeNull();
    expect(explainedUrl(`${EXT}warn.html#`)).toBeNull();
  });
});

describe('siteUrlOfTab', () => {
  it('is the tab URL for web pages and the explained URL for our block/warn pages', () => {
    expect(siteUrlOfTab('https://claude.ai/', EXT)).toBe('https://claude.ai/');
    expect(siteUrlOfTab(`${EXT}block.html#https://claude.ai/x`, EXT)).toBe('https://claude.ai/x');
    expect(siteUrlOfTab(`${EXT}warn.html#http://chatgpt.com/`, EXT)).toBe('http://chatgpt.com/');
  });
  it('is null for other pages', () => {
    expect(siteUrlOfTab(`${EXT}popup.html`, EXT)).toBeNull();
    expect(siteUrlOfTab(`chrome-extension://other/block.html#https://claude.ai/`, EXT)).toBeNull();
    expect(siteUrlOfTab('chrome://newtab/', EXT)).toBeNull();
    expect(siteUrlOfTab(undefined, EXT)).toBeNull();
  });
});

describe('contactHref / redactUrl / displayHost', () => {
  it('links e-mail addresses and web addresses only', () => {
    expect(contactHref('ai-governance@bank.example')).toBe('mailto:ai-governance@bank.example');
    expect(contactHref('mailto:x@y.example')).toBe('mailto:x@y.example');
    expect(contactHref('https://help.bank.example/ai')).toBe('https://help.bank.example/ai');
    expect(contactHref('Compliance desk, ext. 4411')).toBeNull();
    expect(contactHref('javascript:alert(1)')).toBeNull();
  });
  it('drops query and fragment', () => {
    expect(redactUrl('https://claude.ai/chat/1?token=s3cret#x')).toBe('https://claude.ai/chat/1');
  });
  it('shows the host without www.', () => {
    expect(displayHost('https://www.claude.ai/new')).toBe('claude.ai');
  });
});
