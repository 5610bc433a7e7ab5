import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compilePatterns,
  controlsActive,
  COUNT_CAP,
  dataControlDetail,
  decideDataAction,
  scanText,
  screenControls,
  SCAN_MAX_CHARS,
  SCAN_OVERLAP_CHARS,
  SCAN_WINDOW_CHARS,
  type DataActionInput,
  type ScanResult,
} from './data-controls.ts';
import { hasNestedQuantifier } from './regex-safety.ts';
import type { DataControls } from '../policy/policy-schema.ts';

const ACCOUNT = { name: 'client account', regex: '\\bHC\\d{8}\\b' };
const CODENAME = { name: 'codename', regex: 'PROJECT[- ]ORCA', min: 2 };
const compiled = (...p: { name: string; regex: string; min?: number }[]) =>
  compilePatterns(p, hasNestedQuantifier).patterns;

/** Reference: a plain global scan of the whole string. */
function naiveCount(text: string, regex: string): number {
  const re = new RegExp(regex, 'g');
  let count = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[0].length === 0) re.lastIndex++;
    else count++;
  }
  return count;
}

describe('compilePatterns', () => {
  it('compiles the regex as written with the g flag', () => {
    const [p] = compiled({ ...ACCOUNT, min: 3 });
    expect(p!.re.flags).toBe('g');
    expect(p!.re.source).toBe('\\bHC\\d{8}\\b');
    expect(p!.min).toBe(3);
  });

  it('leaves out patterns that do not compile, naming them', () => {
    const r = compilePatterns([{ name: 'broken', regex: '(unclosed' }, ACCOUNT]);
    expect(r.patterns.map((p) => p.name)).toEqual(['client account']);
    expect(r.rejected).toEqual([{ name: 'broken', reason: expect.stringMatching(/does not compile/) }]);
  });

  it('leaves out catastrophic patterns when given lint’s check', () => {
    const r = compilePatterns(
      [{ name: 'evil', regex: '(a+)+$' }, { name: 'words', regex: '(\\w+\\s?)*x' }, ACCOUNT],
      hasNestedQuantifier,
    );
    expect(r.patterns.map((p) => p.name)).toEqual(['client account']);
    expect(r.rejected.map((p) => p.name)).toEqual(['evil', 'words']);
  });
});

describe('screenControls', () => {
  it('drops unsafe patterns and keeps everything else', () => {
    const controls: DataControls = {
      paste: 'warn',
      upload: 'block',
      sensitive: 'block',
      patterns: [
        { ...ACCOUNT, min: 1 },
        { name: 'evil', regex: '(a+)+$', min: 1 },
      ],
    };
    const s = screenControls(controls, hasNestedQuantifier);
    expect(s.controls).toEqual({ ...controls, patterns: [{ ...ACCOUNT, min: 1 }] });
    expect(s.rejected).toHaveLength(1);
    expect(screenControls({ ...controls, patterns: [] }, hasNestedQuantifier).rejected).toEqual([]);
  });

  it('judges each pattern by itself, even when two share a name', () => {
    const twins: DataControls = {
      paste: 'allow',
      upload: 'allow',
      sensitive: 'warn',
      patterns: [
        { name: 'id', regex: '(\\d+)+x', min: 1 },
        { name: 'id', regex: 'ID-\\d{6}', min: 1 },
      ],
    };
    expect(screenControls(twins, hasNestedQuantifier).controls.patterns).toEqual([
      { name: 'id', regex: 'ID-\\d{6}', min: 1 },
    ]);
  });
});

describe('controlsActive', () => {
  const none: DataControls = { paste: 'allow', upload: 'allow', patterns: [] };
  it('is false when everything is allowed and nothing is checked', () => {
    expect(controlsActive(null)).toBe(false);
    expect(controlsActive(none)).toBe(false);
    expect(controlsActive({ ...none, patterns: [{ ...ACCOUNT, min: 1 }] })).toBe(false); // patterns without `sensitive` do nothing
    expect(controlsActive({ ...none, sensitive: 'warn' })).toBe(false); // `sensitive` without patterns neither
  });
  it('is true as soon as one control applies', () => {
    expect(controlsActive({ ...none, paste: 'warn' })).toBe(true);
    expect(controlsActive({ ...none, upload: 'block' })).toBe(true);
    expect(controlsActive({ ...none, sensitive: 'warn', patterns: [{ ...ACCOUNT, min: 1 }] })).toBe(true);
  });
});

describe('scanText', () => {
  it('counts matches per pattern and tells which reach their min', () => {
    const text = 'Accounts HC12345678, HC87654321 and XHC11111111 (not a word boundary); PROJECT ORCA once.';
    const r = scanText(text, compiled(ACCOUNT, CODENAME));
    expect(r.findings).toEqual([
      { name: 'client account', count: 2 },
      { name: 'codename', count: 1 },
    ]);
    expect(r.hits).toEqual([{ name: 'client account', count: 2 }]);
    expect(r.complete).toBe(true);
  });

  it('never puts the text in its result', () => {
    const r = scanText('secret HC12345678 secret', compiled(ACCOUNT));
    expect(JSON.stringify(r)).not.toMatch(/HC12345678|secret/);
  });

  it('finds matches across window boundaries exactly once', () => {
    for (let offset = SCAN_WINDOW_CHARS - 12; offset <= SCAN_WINDOW_CHARS + 2; offset++) {
      const text = `${'x'.repeat(offset)} HC12345678 ${'y'.repeat(2000)}`;
      expect(scanText(text, compiled(ACCOUNT)).findings, `at ${offset}`).toEqual([
        { name: 'client account', count: 1 },
      ]);
    }
  });

  it('sees the character before a window, so \\b does not match inside a word', () => {
    // "XHC12345678" straddles the first window's end: no word boundary before HC.
    const text = `${'x'.repeat(SCAN_WINDOW_CHARS - 1)}XHC12345678 ${'z'.repeat(100)}`;
    expect(scanText(text, compiled(ACCOUNT)).findings).toEqual([]);
  });

  it('does not cut long greedy matches at a window end', () => {
    // The run starts late in the first window and ends past its overlap.
    const text = `${'x'.repeat(SCAN_WINDOW_CHARS - 12)} ${'1'.repeat(200)} b`;
    expect(scanText(text, compiled({ name: 'digits', regex: '\\d+' })).findings).toEqual([
      { name: 'digits', count: 1 },
    ]);
    expect(scanText(text, compiled({ name: 'digits', regex: '\\d+$' })).findings).toEqual([]); // no false `$` at a window end
  });

  it('agrees with a whole-text scan for matches up to the overlap', () => {
    const regexes = ['\\b\\d{3}\\b', 'ab+a', '[a-c]{2,5}', '(?<=x)y', '\\bHC\\d{2}\\b', '1\\s*2', '^a'];
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...'abcxy12 HC'), maxLength: 3000 }),
        fc.constantFrom(...regexes),
        (text, regex) => {
          const got = scanText(text, compiled({ name: 'p', regex })).findings[0]?.count ?? 0;
          expect(got).toBe(naiveCount(text, regex));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('ignores empty matches instead of counting every position', () => {
    expect(scanText('aaa bbb', compiled({ name: 'maybe', regex: 'x*' })).findings).toEqual([]);
    expect(scanText('xx a xx', compiled({ name: 'maybe', regex: 'x*' })).findings).toEqual([
      { name: 'maybe', count: 2 },
    ]);
  });

  it('caps the text scanned and says so', () => {
    const text = `${'a'.repeat(100)}HC12345678`;
    const r = scanText(text, compiled(ACCOUNT), { maxChars: 100 });
    expect(r).toEqual({ findings: [], hits: [], complete: false });
    expect(scanText('x'.repeat(SCAN_MAX_CHARS + 1), compiled(ACCOUNT)).complete).toBe(false);
  });

  it('caps counts', () => {
    const r = scanText('a'.repeat(COUNT_CAP + 500), compiled({ name: 'a', regex: 'a' }));
    expect(r.findings).toEqual([{ name: 'a', count: COUNT_CAP }]);
    expect(r.complete).toBe(true);
  });

  it('stops when its time budget is spent and reports the scan incomplete', () => {
    let t = 0;
    const clock = () => (t += 10); // every look at the clock costs 10 ms
    const r = scanText(`HC12345678 ${'x'.repeat(20 * SCAN_WINDOW_CHARS)}`, compiled(ACCOUNT, CODENAME), {
      budgetMs: 50,
      now: clock,
    });
    expect(r.complete).toBe(false);
    expect(r.findings).toEqual([{ name: 'client account', count: 1 }]); // what was found in time still counts
  });

  it('stays bounded on pathological input: catastrophic patterns never run, polynomial ones are cut by windows and budget', () => {
    const { patterns, rejected } = compilePatterns(
      [{ name: 'evil', regex: '(a+)+$' }, { name: 'cubic', regex: '\\d+\\d+x' }, ACCOUNT],
      hasNestedQuantifier,
    );
    expect(rejected.map((r) => r.name)).toEqual(['evil']);
    const started = performance.now();
    const evilInput = `${'a'.repeat(50_000)}!`;
    expect(scanText(evilInput, patterns).findings).toEqual([]);
    // \d+\d+x backtracks cubically in a run of digits: a 1 MB run would take hours in one call.
    const digits = '1'.repeat(200_000);
    const r = scanText(digits, patterns, { budgetMs: 300 });
    const elapsed = performance.now() - started;
    expect(r.complete).toBe(false);
    expect(elapsed).toBeLessThan(3_000);
  });

  it('scans 100 KB with three patterns in a few milliseconds', () => {
    const text = 'Lorem ipsum dolor sit amet HC12345678, consectetur adipiscing elit. '.repeat(1500).slice(0, 100_000);
    const patterns = compiled(ACCOUNT, CODENAME, { name: 'email', regex: '[\\w.+-]+@[\\w-]+\\.[\\w.]+' });
    scanText(text, patterns); // warm up the regex JIT
    const started = performance.now();
    const r = scanText(text, patterns);
    expect(performance.now() - started).toBeLessThan(100);
    expect(r.complete).toBe(true);
    expect(r.findings[0]).toEqual({ name: 'client account', count: naiveCount(text, ACCOUNT.regex) });
  });

  it('uses the window and overlap sizes the docs promise', () => {
    expect([SCAN_WINDOW_CHARS, SCAN_OVERLAP_CHARS, SCAN_MAX_CHARS]).toEqual([512, 128, 1_000_000]);
  });
});

describe('decideDataAction', () => {
  const controls: DataControls = {
    paste: 'warn',
    upload: 'block',
    sensitive: 'block',
    patterns: [{ ...ACCOUNT, min: 1 }],
  };
  const clean: ScanResult = { findings: [], hits: [], complete: true };
  const dirty: ScanResult = {
    findings: [{ name: 'client account', count: 2 }],
    hits: [{ name: 'client account', count: 2 }],
    complete: true,
  };
  const below: ScanResult = { findings: [{ name: 'client account', count: 1 }], hits: [], complete: true };
  const partial: ScanResult = { findings: [], hits: [], complete: false };
  const act = (c: DataControls, input: Partial<DataActionInput> & Pick<DataActionInput, 'kind'>) =>
    decideDataAction(c, { hasText: true, hasFiles: false, scan: null, ...input });

  it('applies `paste` to pastes and drops of text', () => {
    expect(act(controls, { kind: 'paste', scan: clean })).toEqual({ outcome: 'warn', patterns: [], unchecked: false });
    expect(act(controls, { kind: 'drop', scan: clean }).outcome).toBe('warn');
    expect(act({ ...controls, paste: 'allow' }, { kind: 'paste', scan: clean }).outcome).toBe('allow');
  });

  it('applies `upload` to every file, chosen, pasted or dropped', () => {
    expect(act(controls, { kind: 'upload', hasText: false, hasFiles: true }).outcome).toBe('block');
    expect(act(controls, { kind: 'paste', hasText: false, hasFiles: true }).outcome).toBe('block');
    expect(
      act({ ...controls, paste: 'block', upload: 'allow' }, { kind: 'drop', hasText: false, hasFiles: true }).outcome,
    ).toBe('allow');
    expect(act({ ...controls, upload: 'warn' }, { kind: 'drop', hasText: false, hasFiles: true }).outcome).toBe('warn');
  });

  it('applies `sensitive` to text with a pattern at its min, and names the patterns', () => {
    const c: DataControls = { ...controls, paste: 'allow' };
    expect(act(c, { kind: 'paste', scan: dirty })).toEqual({
      outcome: 'block',
      patterns: [{ name: 'client account', count: 2 }],
      unchecked: false,
    });
    expect(act(c, { kind: 'send', scan: dirty }).outcome).toBe('block');
    expect(act(c, { kind: 'send', scan: below }).outcome).toBe('allow');
    expect(act(c, { kind: 'send', scan: clean }).outcome).toBe('allow');
    expect(act({ ...c, sensitive: 'warn' }, { kind: 'send', scan: dirty }).outcome).toBe('warn');
  });

  it('treats text it could not fully scan as sensitive', () => {
    expect(act({ ...controls, paste: 'allow' }, { kind: 'send', scan: partial })).toEqual({
      outcome: 'block',
      patterns: [],
      unchecked: true,
    });
    expect(act({ ...controls, paste: 'allow', sensitive: undefined }, { kind: 'send', scan: partial }).outcome).toBe(
      'allow',
    );
  });

  it('lets a send through when nothing is checked', () => {
    expect(act({ paste: 'block', upload: 'block', patterns: [] }, { kind: 'send', scan: dirty }).outcome).toBe('allow');
  });

  it('takes the strictest control', () => {
    expect(act({ ...controls, sensitive: 'warn' }, { kind: 'paste', scan: dirty, hasFiles: true }).outcome).toBe(
      'block',
    );
    expect(act({ ...controls, paste: 'block', sensitive: 'warn' }, { kind: 'paste', scan: dirty })).toEqual({
      outcome: 'block',
      patterns: [{ name: 'client account', count: 2 }],
      unchecked: false,
    });
  });
});

describe('dataControlDetail', () => {
  it('keeps kind, outcome and pattern names with counts', () => {
    expect(
      dataControlDetail({ kind: 'send', outcome: 'blocked', patterns: [{ name: 'client account', count: 2 }] }),
    ).toEqual({
      kind: 'send',
      outcome: 'blocked',
      patterns: [{ name: 'client account', count: 2 }],
    });
    expect(dataControlDetail({ kind: 'send', outcome: 'blocked', patterns: [], unchecked: true })).toMatchObject({
      unchecked: true,
    });
  });

  it('drops anything else a content script might send, text included', () => {
    const d = dataControlDetail({
      kind: 'paste',
      outcome: 'blocked',
      patterns: [{ name: 'a', count: 1, text: 'HC12345678' }, { name: 'b', count: 'x' }, null],
      text: 'HC12345678',
    } as never);
    expect(d).toEqual({ kind: 'paste', outcome: 'blocked', patterns: [{ name: 'a', count: 1 }] });
    expect(JSON.stringify(d)).not.toContain('HC12345678');
  });

  it('refuses unknown kinds and outcomes', () => {
    expect(dataControlDetail({ kind: 'print', outcome: 'blocked', patterns: [] })).toBeNull();
    expect(dataControlDetail({ kind: 'paste', outcome: 'ignored', patterns: [] })).toBeNull();
    expect(dataControlDetail({ kind: 'paste', outcome: 'blocked' })).toBeNull();
  });
});
