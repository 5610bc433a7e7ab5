import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DomainIndex,
  hostMatchesDomain,
  hostOfUrl,
  hostSuffixes,
  isPlainHost,
  matchedPathLength,
  normalizeHost,
  normalizePath,
  parseTarget,
  pathMatches,
} from './hosts.ts';

/** Lower-case DNS names such as `claude.ai`, `a-b.example.co`. */
const domainArb = fc.domain().map((d) => d.toLowerCase());
const labelArb = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
const segmentArb = fc.stringMatching(/^[A-Za-z0-9._~-]{1,10}$/).filter((s) => s !== '.' && s !== '..');
/** URL-ish text built from parts (fc.webUrl is slow under vitest), tricks included. */
const urlArb = fc
  .tuple(
    fc.constantFrom('https://', 'http://', 'HTTPS://', 'ftp://', 'blob:https://', 'data:', 'javascript:', ''),
    fc.option(
      fc.string({ maxLength: 8 }).map((u) => `${u}@`),
      { nil: '' },
    ),
    fc.oneof(
      domainArb,
      fc.ipV4(),
      fc.ipV6().map((ip) => `[${ip}]`),
      fc.string({ unit: 'grapheme', maxLength: 12 }),
    ),
    fc.option(
      fc.integer({ min: 0, max: 70000 }).map((p) => `:${p}`),
      { nil: '' },
    ),
    fc.string({ maxLength: 20 }),
  )
  .map((parts) => parts.join(''));

describe('normalizeHost', () => {
  it.each([
    ['claude.ai', 'claude.ai'],
    ['Claude.AI', 'claude.ai'],
    ['claude.ai.', 'claude.ai'],
    ['  claude.ai  ', 'claude.ai'],
    ['bücher.de', 'xn--bcher-kva.de'],
    ['BÜCHER.de.', 'xn--bcher-kva.de'],
    ['xn--bcher-kva.de', 'xn--bcher-kva.de'],
    ['llm', 'llm'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeHost(input)).toBe(expected);
  });

  it.each([
    ['https://claude.ai', 'scheme'],
    ['claude.ai/chat', 'path'],
    ['claude.ai:443', 'port'],
    ['claude.ai:80', 'default port (the URL parser would drop it silently)'],
    ['user@claude.ai', 'userinfo'],
    ['*.claude.ai', 'wildcard'],
    ['1.2.3.4', 'IPv4'],
    ['0x7f.1', 'IPv4 in hex (the URL parser turns it into 127.0.0.1)'],
    ['2130706433', 'IPv4 as one number'],
    ['[::1]', 'IPv6'],
    ['claude..ai', 'empty label'],
    ['.claude.ai', 'leading dot'],
    ['claude%2eai', 'percent-encoding'],
    ['a b.com', 'space'],
    ['', 'empty'],
  ])('refuses %s (%s)', (input) => {
    expect(normalizeHost(input)).toBe('');
  });

  it('is idempotent, ignores case and trailing dots (property)', () => {
    fc.assert(
      fc.property(domainArb, (d) => {
        const n = normalizeHost(d);
        expect(n).toBe(d);
        expect(normalizeHost(n)).toBe(n);
        expect(normalizeHost(`${d.toUpperCase()}.`)).toBe(n);
      }),
      { numRuns: 300 },
    );
  });

  it('never matches an IP literal (property)', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.ipV6(), (v4, v6) => {
        expect(normalizeHost(v4)).toBe('');
        expect(normalizeHost(`[${v6}]`)).toBe('');
        expect(normalizeHost(v6)).toBe('');
      }),
      { numRuns: 200 },
    );
  });
});

describe('parseTarget', () => {
  it('takes the host the browser would connect to, never the userinfo', () => {
    expect(parseTarget('https://claude.ai@evil.example/')?.host).toBe('evil.example');
    expect(parseTarget('https://claude.ai:pw@evil.example/x')?.host).toBe('evil.example');
    expect(parseTarget('https://evil.example@claude.ai/')?.host).toBe('claude.ai');
    // A backslash is a path separator in http(s) URLs, as in the browser.
    expect(parseTarget('https://claude.ai\\@evil.example/')?.host).toBe('claude.ai');
  });

  it('lower-cases, converts IDN to punycode, drops trailing dots and ports', () => {
    expect(parseTarget('HTTPS://WWW.Claude.AI.:8443/Chat?q=1#x')).toEqual({
      scheme: 'https:',
      host: 'www.claude.ai',
      isIp: false,
      path: '/Chat',
      search: '?q=1',
    });
    expect(parseTarget('https://bücher.de/')?.host).toBe('xn--bcher-kva.de');
    expect(parseTarget('https://cl%61ude.ai/')?.host).toBe('claude.ai');
  });

  it('flags IPv4 in every spelling and IPv6 as IP literals', () => {
    for (const url of [
      'http://127.0.0.1/',
      'http://0x7f.1/',
      'http://2130706433/',
      'http://127.0.0.1./',
      'http://[::1]:8080/',
      'http://[2001:db8::1]/',
    ]) {
      expect(parseTarget(url)?.isIp, url).toBe(true);
    }
    expect(parseTarget('http://[::1]/')?.host).toBe('::1');
  });

  it('returns null for text that is not a URL', () => {
    expect(parseTarget('claude.ai')).toBeNull();
    expect(parseTarget('https://')).toBeNull();
    expect(parseTarget('')).toBeNull();
  });

  it('never throws on arbitrary input (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), urlArb, fc.string({ unit: 'grapheme' })), (s) => {
        parseTarget(s);
        normalizeHost(s);
        normalizePath(s);
        pathMatches(s, [s, '/']);
      }),
      { numRuns: 500 },
    );
  });

  it('ignores ports and userinfo whatever they are (property)', () => {
    fc.assert(
      fc.property(domainArb, fc.integer({ min: 1, max: 65535 }), segmentArb, (d, port, user) => {
        expect(parseTarget(`https://${d}:${port}/`)?.host).toBe(d);
        const userinfo = encodeURIComponent(user || 'u');
        expect(parseTarget(`https://${userinfo}@${d}/`)?.host).toBe(d);
        expect(parseTarget(`https://${d}@evil.example/`)?.host).toBe('evil.example');
      }),
      { numRuns: 300 },
    );
  });
});

describe('fast paths agree with the WHATWG parser', () => {
  /** Host-like text that exercises the fast path's edges: digits, hyphens, dots, `xn--`, case. */
  const hostish = fc
    .array(
      fc.constantFrom(
        'a',
        'z',
        '0',
        '9',
        '-',
        '.',
        'xn--',
        'xn--bcher-kva',
        '0x',
        'A',
        '_',
        ':',
        '@',
        '%2e',
        'ü',
        '1.2.3.4',
      ),
      { maxLength: 12 },
    )
    .map((parts) => parts.join(''));

  /** What `new URL` says, with our trailing-dot rule; null when it throws or is an IP. */
  function slowHost(url: string): string | null {
    try {
      const u = new URL(url);
      if (u.protocol !== 'https:' && u.protocol !== 'http:') return null;
      const h = u.hostname.replace(/\.+$/, '');
      if (!h || h.startsWith('[') || /^\d+\.\d+\.\d+\.\d+$/.test(h)) return null;
      return h;
    } catch {
      return null;
    }
  }

  // A host of digits and dots only ("0001.2.3.4..", which WHATWG keeps as a name because of the two
  // trailing dots) can match no policy domain, since normalizeHost refuses numeric domains: whether
  // it comes back as that name or as null, nothing is matched, so both count as "no domain".
  const domainOnly = (h: string | null) => (h !== null && /^[\d.]+$/.test(h) ? null : h);

  it('hostOfUrl equals the parsed hostname (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('https://', 'http://', 'HTTPS://', 'https:///', 'ftp://'),
        hostish,
        fc.constantFrom('', '/', '/x?y', '?q', '#f', ':8080/', '\\x'),
        (scheme, host, rest) => {
          const url = `${scheme}${host}${rest}`;
          expect(domainOnly(hostOfUrl(url)), url).toBe(domainOnly(slowHost(url)));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('hostOfUrl equals the parsed hostname on adversarial URL spellings (property)', () => {
    // Everything the WHATWG parser rewrites or refuses, next to the plain spellings the fast path takes.
    const scheme = fc.constantFrom(
      'https://',
      'http://',
      'HtTpS://',
      'https:',
      'https:/',
      'https:\\\\',
      ' https://',
      '\thttps://',
      'ws://',
      'wss://',
      'file://',
    );
    const userinfo = fc.constantFrom('', '', '', 'u@', 'u:p@', 'claude.ai@', '%40@', 'a@b@', ':@');
    const host = fc.oneof(
      hostish,
      fc.constantFrom(
        'claude.ai',
        'CLAUDE.ai',
        'claude.ai.',
        'claude.ai..',
        'cla\tude.ai',
        'cla\nude.ai',
        'claude\r.ai',
        'claude%2eai',
        'claude%2Eai',
        'bücher.de',
        'xn--bcher-kva.de',
        'xn--a.de',
        '0x7f.1',
        '127.1',
        '2130706433',
        '1.2.3.4',
        '1.2.3.4.',
        'a.1',
        'a.0x1',
        'a.09',
        '[::1]',
        '[::ffff:1.2.3.4]',
        'claude.ai\\',
        'a.b-.c',
        '-a.b',
        'a..b',
        '.a.b',
        'a\u3002b',
        'a\uff0eb',
        'ａ.b',
        'a b',
        'a\u00adb',
      ),
    );
    const port = fc.constantFrom('', '', ':', ':443', ':80', ':0x1', ':99999', ':8080');
    const rest = fc.constantFrom(
      '',
      '/',
      '/x',
      '/./x',
      '/../x',
      '/%2e%2e/x',
      '/.%2e/',
      '\\x',
      '/x?y#z',
      '?q',
      '#f',
      ' /x',
      '\t/x',
      '/x\n',
      '/a/b/../c',
      '@x',
    );
    fc.assert(
      fc.property(scheme, userinfo, host, port, rest, (s, u, h, p, r) => {
        const url = `${s}${u}${h}${p}${r}`;
        expect(domainOnly(hostOfUrl(url)), JSON.stringify(url)).toBe(domainOnly(slowHost(url)));
      }),
      { numRuns: 5000 },
    );
  });

  it('a numeric host with encoded trailing dots matches no domain either way (found by the property above)', () => {
    expect(domainOnly(hostOfUrl('https://0001.2.3.4%2e.'))).toBeNull();
    expect(domainOnly(slowHost('https://0001.2.3.4%2e.'))).toBeNull();
    expect(normalizeHost('0001.2.3.4')).toBe('');
  });

  it('normalizeHost equals the parsed hostname for plain hosts (property)', () => {
    fc.assert(
      fc.property(hostish, (host) => {
        const n = normalizeHost(host);
        if (n === '') return;
        expect(n).toBe(new URL(`http://${host}/`).hostname.replace(/\.+$/, ''));
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses what the parser refuses', () => {
    expect(hostOfUrl('https://xn--a/')).toBeNull(); // invalid punycode: new URL throws
    expect(hostOfUrl('https://a.0x7f/')).toBeNull(); // numeric last label: the parser's IPv4 path
    expect(hostOfUrl('https://1.2.3.4/')).toBeNull();
    expect(hostOfUrl('https://claude.ai./x')).toBe('claude.ai');
    expect(hostOfUrl('https://claude.ai@evil.example/')).toBe('evil.example');
  });
});

describe('hostMatchesDomain', () => {
  it('matches the domain and its subdomains only', () => {
    expect(hostMatchesDomain('claude.ai', 'claude.ai')).toBe(true);
    expect(hostMatchesDomain('www.claude.ai', 'claude.ai')).toBe(true);
    expect(hostMatchesDomain('a.b.claude.ai', 'claude.ai')).toBe(true);
    expect(hostMatchesDomain('notclaude.ai', 'claude.ai')).toBe(false);
    expect(hostMatchesDomain('claude.ai.evil.example', 'claude.ai')).toBe(false);
    expect(hostMatchesDomain('claude.a', 'claude.ai')).toBe(false);
    expect(hostMatchesDomain('ai', 'claude.ai')).toBe(false);
    expect(hostMatchesDomain('', 'claude.ai')).toBe(false);
    expect(hostMatchesDomain('claude.ai', '')).toBe(false);
  });

  it('subdomains match, look-alikes never do (property)', () => {
    fc.assert(
      fc.property(
        domainArb,
        fc.array(labelArb, { minLength: 1, maxLength: 3 }),
        labelArb,
        domainArb,
        (d, subs, prefix, other) => {
          expect(hostMatchesDomain(`${subs.join('.')}.${d}`, d)).toBe(true);
          // `notclaude.ai`: glued onto the first label
          expect(hostMatchesDomain(`${prefix}${d}`, d)).toBe(false);
          // `claude.ai.evil.example`: the listed domain as a left part of another name
          fc.pre(!hostMatchesDomain(other, d));
          expect(hostMatchesDomain(`${d}.${other}`, d)).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('agrees with hostSuffixes (property)', () => {
    fc.assert(
      fc.property(domainArb, domainArb, (host, d) => {
        expect(hostMatchesDomain(host, d)).toBe(hostSuffixes(host).includes(d));
      }),
      { numRuns: 300 },
    );
  });
});

describe('paths', () => {
  it('covers the prefix and what is under it, not look-alike paths', () => {
    expect(pathMatches('/chat', ['/chat'])).toBe(true);
    expect(pathMatches('/chat/', ['/chat'])).toBe(true);
    expect(pathMatches('/chat/abc', ['/chat'])).toBe(true);
    expect(pathMatches('/chatter', ['/chat'])).toBe(false);
    expect(pathMatches('/', ['/chat'])).toBe(false);
    expect(pathMatches('/chat', ['/chat/'])).toBe(true);
    expect(pathMatches('/anything', [])).toBe(true);
    expect(pathMatches('/anything', undefined)).toBe(true);
    expect(pathMatches('/anything', ['/'])).toBe(true);
  });

  it('cannot be dodged by case, percent-encoding or doubled slashes', () => {
    for (const p of ['/CHAT', '/%63hat', '/%63HAT/x', '//chat', '/x//..//chat']) {
      expect(pathMatches(p, ['/chat']), p).toBe(true);
    }
    // Elsewhere in a path, spaces stay what they are.
    expect(normalizePath('/a%20b/c')).toBe('/a%20b/c');
  });

  // Each is a spelling some server (Tomcat, Jetty, IIS, Apache with AllowEncodedSlashes, a
  // decoding proxy) routes as `/chat`: a path-scoped tool must cover it.
  it.each([
    ['/chat;x', 'matrix parameter'],
    ['/chat;jsessionid=1/x', 'matrix parameter mid-path'],
    ['/chat%3Bx', 'encoded matrix separator'],
    ['/chat%2Fx', 'encoded slash after'],
    ['/%2Fchat', 'encoded slash before'],
    ['/chat%5Cx', 'encoded backslash'],
    ['/chat%23x', 'encoded hash'],
    ['/chat%3Fx', 'encoded question mark'],
    ['/chat%00x', 'encoded NUL'],
    ['/chat.', 'trailing dot'],
    ['/chat%2e', 'encoded trailing dot'],
    ['/chat%20', 'trailing space'],
    ['/chat%09', 'trailing tab'],
    ['/chat%0A', 'trailing newline'],
    ['/chat. %20./x', 'dots and spaces mixed'],
    ['/Chat', 'case'],
    ['/%63hat', 'encoded letter'],
    ['//chat', 'doubled slash'],
    ['/./chat', 'dot segment'],
    ['/x/..%2Fchat', 'encoded parent segment'],
  ])('%s (%s) is under /chat', (path) => {
    expect(pathMatches(path, ['/chat']), normalizePath(path)).toBe(true);
  });

  it('the forms do not widen a prefix to look-alike paths', () => {
    for (const p of ['/chatter', '/chat-x', '/ch%61tter', '/c;hat', '/x/chat', '/chat/..', '/chat/..%20'])
      expect(pathMatches(p, ['/chat']), p).toBe(false);
  });

  it('measures the longest matching prefix', () => {
    expect(matchedPathLength('/g/firm/x', ['/g', '/g/firm'])).toBe('/g/firm'.length);
    expect(matchedPathLength('/h', ['/g'])).toBe(-1);
    expect(matchedPathLength('/h', undefined)).toBe(0);
  });

  it('a prefix always covers itself and its subpaths (property)', () => {
    fc.assert(
      fc.property(fc.array(segmentArb, { minLength: 1, maxLength: 3 }), segmentArb, (segs, tail) => {
        const prefix = `/${segs.join('/')}`;
        expect(pathMatches(prefix, [prefix])).toBe(true);
        expect(pathMatches(`${prefix}/${tail}`, [prefix])).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('DomainIndex', () => {
  const lookup = (index: DomainIndex, host: string) => {
    const out = new Int32Array(128);
    const n = index.collect(host, out);
    return [...out.subarray(0, n)].map((code) => [...index.idsOf(code)]);
  };

  it('finds every listed domain a host falls under, least specific first', () => {
    const index = new DomainIndex(['bank.example', 'llm.bank.example', 'claude.ai', 'claude.ai'], [1, 2, 3, 4]);
    expect(lookup(index, 'x.llm.bank.example')).toEqual([[1], [2]]);
    expect(lookup(index, 'bank.example')).toEqual([[1]]);
    expect(lookup(index, 'claude.ai')).toEqual([[3, 4]]);
    expect(lookup(index, 'notclaude.ai')).toEqual([]);
    expect(lookup(index, 'claude.ai.evil.example')).toEqual([]);
    expect([...index.entries()].sort()).toEqual([
      ['bank.example', [1]],
      ['claude.ai', [3, 4]],
      ['llm.bank.example', [2]],
    ]);
  });

  it('never lets a hash collision stand in for a domain', () => {
    // These pairs have the same 32-bit hash (found by search), so only the character check separates them.
    const index = new DomainIndex(['klzug.example', 'zlzy7', 'x.zpa6e'], [1, 2, 3]);
    expect(lookup(index, 'klzug.example')).toEqual([[1]]);
    expect(lookup(index, 'kpa25.example')).toEqual([]);
    expect(lookup(index, 'www.kpa25.example')).toEqual([]);
    // `zpa6e` is only a suffix of a listed domain and collides with the listed `zlzy7`.
    expect(lookup(index, 'x.zpa6e')).toEqual([[3]]);
    expect(lookup(index, 'zpa6e')).toEqual([]);
    expect(lookup(index, 'a.zlzy7')).toEqual([[2]]);
    const both = new DomainIndex(['klzug.example', 'kpa25.example'], [1, 2]);
    expect(lookup(both, 'a.kpa25.example')).toEqual([[2]]);
    expect(lookup(both, 'a.klzug.example')).toEqual([[1]]);
  });

  it('grows past its first size and still finds every domain, and nothing else', () => {
    const domains = Array.from({ length: 20_000 }, (_, i) =>
      i % 3 === 0 ? `app${i % 7}.vendor${i}.example` : `tool${i}.example`,
    );
    const index = new DomainIndex(
      domains,
      domains.map((_, i) => i),
    );
    const missed = domains.filter((d, i) => JSON.stringify(lookup(index, `www.${d}`)) !== JSON.stringify([[i]]));
    expect(missed).toEqual([]);
    expect(lookup(index, 'vendor3.example')).toEqual([]);
    expect(lookup(index, 'tool20000.example')).toEqual([]);
  });

  it('agrees with a linear scan of hostMatchesDomain (property)', () => {
    const labels = fc.constantFrom('a', 'b', 'ai', 'claude', 'bank', 'llm', 'example', 'x-y', '0');
    const name = fc.array(labels, { minLength: 1, maxLength: 4 }).map((l) => l.join('.'));
    fc.assert(
      fc.property(
        fc.array(name, { maxLength: 12 }),
        fc.array(name, { minLength: 1, maxLength: 10 }),
        (listed, hosts) => {
          const index = new DomainIndex(
            listed,
            listed.map((_, i) => i),
          );
          for (const host of hosts) {
            const expected = listed
              .map((d, i) => ({ d, i }))
              .filter(({ d }) => hostMatchesDomain(host, d))
              .sort((a, b) => a.d.length - b.d.length);
            const grouped: number[][] = [];
            for (const { d, i } of expected) {
              const last = grouped[grouped.length - 1];
              if (last && listed[last[0]!] === d) last.push(i);
              else grouped.push([i]);
            }
            expect(lookup(index, host), host).toEqual(grouped);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('DomainIndex keys (the DNR compiler walks listed domains by key)', () => {
  const keysUnder = (index: DomainIndex, host: string) => {
    const out = new Int32Array(128);
    return [...out.subarray(0, index.collectKeys(host, out))];
  };

  it('gives each distinct listed domain one key, in order of first listing, with its code and labels', () => {
    const index = new DomainIndex(
      ['bank.example', 'llm.bank.example', 'claude.ai', 'bank.example', 'claude.ai', ''],
      [0, 1, 2, 3, 2, 4],
    );
    expect(index.size).toBe(3);
    expect([...index.inputKeys]).toEqual([0, 1, 2, 0, 2, -1]);
    expect([...index.idsOf(index.codeOfKey(0))]).toEqual([0, 3]);
    expect([...index.idsOf(index.codeOfKey(1))]).toEqual([1]);
    expect([...index.idsOf(index.codeOfKey(2))]).toEqual([2]);
    expect([0, 1, 2].map((k) => index.labelsOfKey(k))).toEqual([2, 3, 2]);
    expect(keysUnder(index, 'x.llm.bank.example')).toEqual([0, 1]);
    expect(keysUnder(index, 'example')).toEqual([]);
  });

  it('keys, codes and collectKeys agree with collect, through growth and for every listed domain (property)', () => {
    const labels = fc.constantFrom('a', 'b', 'ai', 'claude', 'bank', 'llm', 'example', 'x-y', '0');
    const name = fc.array(labels, { minLength: 1, maxLength: 5 }).map((l) => l.join('.'));
    fc.assert(
      fc.property(
        fc.array(name, { maxLength: 60 }),
        fc.array(name, { minLength: 1, maxLength: 10 }),
        (listed, hosts) => {
          const index = new DomainIndex(
            listed,
            listed.map((_, i) => i % 7),
          );
          const distinct = [...new Set(listed)];
          expect(index.size).toBe(distinct.length);
          listed.forEach((d, n) => {
            const key = index.inputKeys[n]!;
            // Same domain, same key; keys numbered by first listing.
            expect(key).toBe(distinct.indexOf(d));
            expect(index.labelsOfKey(key)).toBe(d.split('.').length);
            const out = new Int32Array(128);
            const found = index.collect(d, out);
            expect(index.codeOfKey(key)).toBe(out[found - 1]);
          });
          for (const host of [...hosts, ...listed]) {
            const codes = new Int32Array(128);
            const n = index.collect(host, codes);
            const keys = keysUnder(index, host);
            expect(keys.length).toBe(n);
            expect(keys.map((k) => index.codeOfKey(k))).toEqual([...codes.subarray(0, n)]);
            expect(keys.map((k) => distinct[k])).toEqual(
              distinct.filter((d) => hostMatchesDomain(host, d)).sort((a, b) => a.length - b.length),
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps keys and codes through many growths of the table', () => {
    const domains = Array.from({ length: 30_000 }, (_, i) =>
      i % 4 === 0 ? `tool${i >> 1}.example` : `app${i % 5}.vendor${i}.example`,
    );
    const index = new DomainIndex(
      domains,
      domains.map((_, i) => i),
    );
    const distinct = [...new Set(domains)];
    expect(index.size).toBe(distinct.length);
    const wrong = domains.filter((d, n) => {
      const key = index.inputKeys[n]!;
      return (
        distinct[key] !== d ||
        !index.idsOf(index.codeOfKey(key)).includes(n) ||
        keysUnder(index, `www.${d}`).at(-1) !== key
      );
    });
    expect(wrong).toEqual([]);
  });
});

describe('plain normalised domains round-trip through a URL', () => {
  // The DNR compiler takes a plain listed domain d as the host decide() finds in `https://d/`.
  it('not every normalised domain is its own URL host: `0x7f．.` normalises to an IPv4 spelling', () => {
    expect(normalizeHost('0x7f\uff0e.')).toBe('0x7f');
    expect(hostOfUrl('https://0x7f/')).toBeNull();
    expect(isPlainHost('0x7f')).toBe(false);
    expect(isPlainHost('claude.ai')).toBe(true);
    expect(isPlainHost('xn--bcher-kva.de')).toBe(false);
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: the test's name shows the template it checks
  it('hostOfUrl(`https://${d}/`) is d for every plain d normalizeHost gives (property)', () => {
    const hostish = fc
      .array(
        fc.constantFrom(
          'a',
          'Z',
          '0',
          '9',
          '-',
          '.',
          'xn--',
          'xn--bcher-kva',
          'ü',
          'ß',
          '_',
          '~',
          '!',
          '$',
          '0x7f',
          '1',
          '%41',
          '\u3002',
          '\uff0e',
        ),
        { maxLength: 10 },
      )
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(
        fc.oneof(hostish, domainArb, fc.string({ maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 8 })),
        (s) => {
          const d = normalizeHost(s);
          if (d === '' || !isPlainHost(d)) return;
          expect(hostOfUrl(`https://${d}/`), s).toBe(d);
          expect(normalizeHost(d), s).toBe(d);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
