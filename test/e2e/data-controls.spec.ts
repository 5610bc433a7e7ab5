/**
 * Data controls (docs/data-controls.md) end to end: real Chromium, the built extension, a signed policy whose
 * rules carry `dataControls`, and a fake vendor chat page (a textarea that sends on Enter, a send
 * button, a form, file inputs in the page and in a shadow root). What the vendor server receives
 * is the proof: a blocked action sends nothing; the audit trail has pattern names and counts and
 * never the text.
 */
import { expect, test, type Page } from '@playwright/test';
import { CATALOGUE } from '../../src/core/catalogue/catalogue.ts';
import {
  launchBrowser,
  makeKey,
  removeManagedConfig,
  samplePolicy,
  serviceWorker,
  signPolicy,
  startPolicyServer,
  startServer,
  vendorPage,
  waitForManagedConfig,
  waitForPolicy,
  waitInWorker,
  writeManagedConfig,
  type Launched,
  type TestServer,
} from './harness.ts';

test.describe.configure({ mode: 'serial' });

const SECRET = 'HC12345678';
const SECRET_2 = 'HC87654321';

/** The fake vendor's chat: it sends whatever reaches its own handlers. */
const CHAT_HTML = `<!doctype html><html lang="en"><head><title>Fake chat</title></head>
<body style="margin-top:90px">
<textarea id="box" aria-label="Message"></textarea>
<button id="send" data-testid="send-button" aria-label="Send message">&#10148;</button>
<form id="form" method="post" action="/form-send"><input id="q" name="q" aria-label="Question"><button type="submit">Go</button></form>
<input type="file" id="file" aria-label="Attach">
<div id="shadow-host"></div>
<script>
  window.seen = { paste: 0, change: 0, navigations: 0 };
  // Every request the page starts, so a test can wait until each was answered (or refused).
  window.pending = [];
  const track = (request) => { pending.push(request.catch(() => undefined)); };
  navigation.addEventListener('navigate', () => seen.navigations++);
  const box = document.getElementById('box');
  const send = (text) => track(fetch('/send', { method: 'POST', body: text }));
  box.addEventListener('paste', () => seen.paste++);
  box.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); send(box.value); box.value = ''; }
  });
  document.getElementById('send').addEventListener('click', () => { send(box.value); box.value = ''; });
  // Like many vendors: the file goes up as soon as it is chosen.
  const upload = (input) => { seen.change++; if (input.files[0]) track(fetch('/upload', { method: 'POST', body: input.files[0] })); };
  document.getElementById('file').addEventListener('change', (e) => upload(e.target));
  const root = document.getElementById('shadow-host').attachShadow({ mode: 'open' });
  root.innerHTML = '<input type="file" id="sfile" aria-label="Attach here"><textarea id="sbox" aria-label="Shadow message"></textarea>';
  root.getElementById('sfile').addEventListener('change', (e) => upload(e.target));
</script></body></html>`;

const PATTERNS = [
  { name: 'client account', regex: '\\bHC\\d{8}\\b' },
  { name: 'codename', regex: 'PROJECT[- ]ORCA' },
  // Lint refuses this one; a policy signed without lint must still not freeze the page.
  { name: 'runaway', regex: '(a+)+$' },
];

function dataPolicy(): Record<string, unknown> {
  const base = samplePolicy();
  return {
    ...base,
    tools: { ...(base.tools as object), acme: { name: 'Acme Chat', vendor: 'Acme', domains: ['other.example'] } },
    rules: [
      ...(base.rules as unknown[]),
      {
        id: 'CHATGPT-DATA',
        tools: ['chatgpt'],
        action: 'allow',
        dataControls: { upload: 'block', sensitive: 'block', patterns: PATTERNS },
      },
      { id: 'FIRM-LLM-DATA', tools: ['firm-llm'], action: 'monitor', dataControls: { paste: 'warn', upload: 'warn' } },
      { id: 'ACME-DATA', tools: ['acme'], action: 'allow', dataControls: { paste: 'block' } },
    ],
  };
}

interface Posted {
  host: string;
  path: string;
  body: string;
}
interface AuditEvent {
  type: string;
  tool: string | null;
  rule: string | null;
  url: string | null;
  detail?: { kind?: string; outcome?: string; patterns?: { name: string; count: number }[] };
}

let vendor: TestServer;
let browser: Launched;
const servers: TestServer[] = [];
const posted: Posted[] = [];

test.beforeAll(async () => {
  vendor = await startServer(vendorPage);
  servers.push(vendor);
  vendor.route((req, url) => {
    if (req.method === 'POST') {
      // Every POST body is kept: what the vendor received is what the tests judge.
      return (async () => {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        posted.push({ host: url.hostname, path: url.pathname, body: Buffer.concat(chunks).toString('utf8') });
        return { body: 'ok', type: 'text/plain' };
      })();
    }
    return url.pathname.startsWith('/chat') ? { body: CHAT_HTML } : undefined;
  });
  const key = await makeKey('compliance-2026');
  const policy = await startPolicyServer(await signPolicy(dataPolicy(), [key]));
  servers.push(policy);
  writeManagedConfig({ office: 'NY', policyUrl: policy.url, trustedKeys: [key.publicJwk] });
  browser = await launchBrowser({ vendorPort: vendor.port });
  await waitForManagedConfig(browser.context, 'NY');
  await waitForPolicy(browser.context, 42);
  await waitInWorker(
    browser.context,
    () => chrome.scripting.getRegisteredContentScripts({ ids: ['ai-geofence-guard'] }),
    (v) => v.length === 1,
    'the guard to be registered',
  );
  await browser.context.grantPermissions(['clipboard-read', 'clipboard-write']);
});

test.afterAll(async () => {
  await browser?.close();
  removeManagedConfig();
  for (const s of servers.splice(0)) await s.close();
});

async function open(url: string): Promise<Page> {
  const page = await browser.context.newPage();
  await page.goto(url);
  await expect(page.locator('#box')).toBeVisible();
  return page;
}

/** A real paste: the system clipboard and Ctrl+V, as the employee does it. */
async function pasteFor(page: Page, selector: string, text: string): Promise<void> {
  await page.evaluate((t) => navigator.clipboard.writeText(t), text);
  await page.locator(selector).focus();
  await page.keyboard.press('Control+V');
}

/** Data-control audit events for one page path (each test uses its own path). */
async function auditFor(path: string, count: number): Promise<AuditEvent[]> {
  const all = await waitInWorker(
    browser.context,
    async () =>
      ((await chrome.storage.local.get('auditQueue')) as { auditQueue?: { events: unknown[] } }).auditQueue?.events ??
      [],
    (events) =>
      (events as AuditEvent[]).filter((e) => e.type === 'data-control' && e.url?.endsWith(path)).length >= count,
    `${count} data-control audit event(s) for ${path}`,
  );
  return (all as AuditEvent[]).filter((e) => e.type === 'data-control' && e.url?.endsWith(path));
}

/**
 * Wait until every request the page started has been answered or refused (the vendor server records
 * a body before it answers), and return how many navigations the page began: a form that went
 * through would have started one (or replaced the document, and then this throws).
 */
async function settled(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const w = window as unknown as { pending: Promise<unknown>[]; seen: { navigations: number } };
    await Promise.all(w.pending);
    return w.seen.navigations;
  });
}

const notice = (page: Page) => page.locator('[data-ai-geofence="notice"]');
const postsTo = (path: string) => posted.filter((p) => p.path === path);

test('the guard is registered only on the hosts of tools whose rule has data controls', async () => {
  const [script] = (await (
    await serviceWorker(browser.context)
  ).evaluate(() =>
    chrome.scripting.getRegisteredContentScripts({ ids: ['ai-geofence-guard'] }),
  )) as chrome.scripting.RegisteredContentScript[];
  expect(script).toMatchObject({ js: ['guard.js'], runAt: 'document_start', allFrames: true, world: 'ISOLATED' });
  expect([...script!.matches!].sort()).toEqual(
    // ChatGPT's domains: the policy's and the catalogue's it keeps.
    [...new Set(['chatgpt.com', 'openai.com', ...CATALOGUE.chatgpt!.domains, 'llm.bank.example', 'other.example'])]
      .flatMap((d) => [`*://${d}/*`, `*://*.${d}/*`])
      .sort(),
  );
  // claude.ai is allowed for New York without controls: nothing of ours runs there.
  const page = await browser.context.newPage();
  await page.goto('https://claude.ai/chat/unguarded');
  await pasteFor(page, '#box', `plain ${SECRET}`);
  await expect(page.locator('#box')).toHaveValue(`plain ${SECRET}`);
  await page.close();
});

test("the notice speaks the page's language: Hong Kong Chinese for a zh-HK page", async () => {
  const page = await browser.context.newPage();
  // This page's languages only (Accept-Language and navigator.languages, in every world of the page).
  const cdp = await browser.context.newCDPSession(page);
  const userAgent = await page.evaluate(() => navigator.userAgent);
  await cdp.send('Emulation.setUserAgentOverride', { userAgent, acceptLanguage: 'zh-HK,zh;q=0.9' });
  await page.goto('https://other.example/chat/paste-block-zh-hk');
  await expect(page.locator('#box')).toBeVisible();
  expect(await page.evaluate(() => navigator.languages[0])).toBe('zh-HK');
  await pasteFor(page, '#box', 'meeting notes for the vendor');
  await expect(notice(page)).toContainText('AI Geofence 已封鎖此次貼上');
  await expect(notice(page)).toContainText('貴公司的政策（規則 ACME-DATA）不准許在此網站貼上內容。');
  await expect(notice(page).getByRole('button', { name: '關閉' })).toBeVisible();
  await expect(page.locator('#box')).toHaveValue('');
  await page.close();
});

test('a blocked paste leaves nothing in the page and the notice names the rule', async () => {
  const page = await open('https://other.example/chat/paste-block');
  await pasteFor(page, '#box', 'meeting notes for the vendor');
  await expect(notice(page)).toContainText('AI Geofence blocked this paste');
  await expect(notice(page).getByRole('alert')).toContainText('ACME-DATA');
  await expect(page.locator('#box')).toHaveValue('');
  expect(await page.evaluate(() => (window as unknown as { seen: { paste: number } }).seen.paste)).toBe(0); // the page never saw it
  const [event] = await auditFor('/chat/paste-block', 1);
  expect(event).toMatchObject({
    tool: 'acme',
    rule: 'ACME-DATA',
    url: 'https://other.example/chat/paste-block',
    detail: { kind: 'paste', outcome: 'blocked', patterns: [] },
  });
  expect(JSON.stringify(event)).not.toContain('meeting notes');
  // A drop of text is a paste too. (Synthetic events reach the guard's capture listener like real ones.)
  const dropped = await page.locator('#box').evaluate((box) => {
    const data = new DataTransfer();
    data.setData('text/plain', 'dragged in from another window');
    const ev = new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true, composed: true });
    box.dispatchEvent(ev);
    return ev.defaultPrevented;
  });
  expect(dropped).toBe(true);
  expect((await auditFor('/chat/paste-block', 2))[1]!.detail).toEqual({
    kind: 'drop',
    outcome: 'blocked',
    patterns: [],
  });
  // The notice goes by itself after about 8 s.
  await expect(notice(page)).toHaveCount(0, { timeout: 12_000 });
  await page.close();
});

test('a paste with sensitive text is blocked, named by pattern and count, and the text is not recorded', async () => {
  const page = await open('https://chatgpt.com/chat/paste-sensitive');
  await pasteFor(page, '#box', `Clients ${SECRET} and ${SECRET_2} for PROJECT ORCA`);
  await expect(notice(page)).toContainText('client account (2), codename (1)');
  await expect(notice(page)).toContainText('CHATGPT-DATA');
  await expect(page.locator('#box')).toHaveValue('');
  const [event] = await auditFor('/chat/paste-sensitive', 1);
  expect(event!.detail).toEqual({
    kind: 'paste',
    outcome: 'blocked',
    patterns: [
      { name: 'client account', count: 2 },
      { name: 'codename', count: 1 },
    ],
  });
  expect(JSON.stringify(event)).not.toMatch(/HC\d{8}|ORCA|Clients/);
  // Harmless text pastes as usual: the guard only steps in when a control applies.
  await pasteFor(page, '#box', 'harmless words');
  await expect(page.locator('#box')).toHaveValue('harmless words');
  await page.close();
});

test('a warned paste asks once: Cancel leaves nothing, "Paste anyway" inserts the text at the caret', async () => {
  const page = await open('https://llm.bank.example/chat/paste-warn');
  // The monitor banner and the guard run side by side in the page's isolated world.
  await expect(page.locator('[data-ai-geofence="banner"]')).toHaveCount(1);
  await page.locator('#box').fill('AB');
  await page.locator('#box').evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(1, 1));
  await pasteFor(page, '#box', 'first');
  const dialog = notice(page).getByRole('alertdialog');
  await expect(dialog).toContainText('Check before you paste');
  await expect(dialog).toContainText('FIRM-LLM-DATA');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(notice(page)).toHaveCount(0);
  await expect(page.locator('#box')).toHaveValue('AB');

  await page.locator('#box').evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(1, 1));
  await pasteFor(page, '#box', 'second');
  await notice(page).getByRole('button', { name: 'Paste anyway' }).click();
  await expect(page.locator('#box')).toHaveValue('AsecondB');
  await expect(page.locator('#box')).toBeFocused();

  const events = await auditFor('/chat/paste-warn', 2);
  expect(events.map((e) => e.detail)).toEqual([
    { kind: 'paste', outcome: 'warned-cancelled', patterns: [] },
    { kind: 'paste', outcome: 'warned-proceeded', patterns: [] },
  ]);
  expect(events.every((e) => e.rule === 'FIRM-LLM-DATA' && e.tool === 'firm-llm')).toBe(true);
  await page.close();
});

test('a blocked upload empties the file input, in the page and in a shadow root, and the vendor receives nothing', async () => {
  const page = await open('https://chatgpt.com/chat/upload');
  const file = { name: 'clients.csv', mimeType: 'text/csv', buffer: Buffer.from(`account\n${SECRET}\n`) };
  await page.locator('#file').setInputFiles(file);
  await expect(notice(page)).toContainText('AI Geofence blocked this upload');
  await expect(notice(page)).toContainText('uploading files');
  await page.locator('#sfile').setInputFiles(file); // inside the open shadow root
  const counts = await page.evaluate(() => ({
    light: (document.getElementById('file') as HTMLInputElement).files!.length,
    shadow: (document.getElementById('shadow-host')!.shadowRoot!.getElementById('sfile') as HTMLInputElement).files!
      .length,
    changes: (window as unknown as { seen: { change: number } }).seen.change,
  }));
  expect(counts).toEqual({ light: 0, shadow: 0, changes: 0 });
  const events = await auditFor('/chat/upload', 2);
  expect(events.map((e) => e.detail)).toEqual([
    { kind: 'upload', outcome: 'blocked', patterns: [] },
    { kind: 'upload', outcome: 'blocked', patterns: [] },
  ]);
  await settled(page);
  expect(postsTo('/upload')).toEqual([]);
  await page.close();
});

test('a warned upload is cancelled, then goes through when repeated within the grace window after "Upload anyway"', async () => {
  const page = await open('https://llm.bank.example/chat/upload-warn');
  const file = { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('public notes') };
  await page.locator('#file').setInputFiles(file);
  await notice(page).getByRole('button', { name: 'Cancel' }).click();
  await page.locator('#file').setInputFiles(file);
  await expect(notice(page).getByRole('alertdialog')).toContainText('Check before you upload');
  expect(await page.locator('#file').evaluate((el: HTMLInputElement) => el.files!.length)).toBe(0);
  await notice(page).getByRole('button', { name: 'Upload anyway' }).click();
  await expect(notice(page)).toContainText('Upload again within 20 seconds');
  expect(postsTo('/upload')).toEqual([]);
  await page.locator('#file').setInputFiles(file);
  await expect.poll(() => postsTo('/upload').map((p) => p.body)).toEqual(['public notes']);
  const events = await auditFor('/chat/upload-warn', 2);
  expect(events.map((e) => e.detail?.outcome)).toEqual(['warned-cancelled', 'warned-proceeded']);
  await page.close();
});

test('sensitive text sent with Enter, the send button or a form is blocked; the vendor receives none of it', async () => {
  const page = await open('https://chatgpt.com/chat/send-sensitive');
  await page.locator('#box').fill(`please look up ${SECRET}`);
  await page.locator('#box').press('Enter');
  await expect(notice(page)).toContainText('AI Geofence blocked this message');
  await expect(notice(page)).toContainText('client account (1)');
  await expect(page.locator('#box')).toHaveValue(`please look up ${SECRET}`); // still there to edit
  await page.getByTestId('send-button').click();
  await page.locator('#q').fill(`status of ${SECRET_2}`);
  await page.getByRole('button', { name: 'Go' }).click();
  await page.locator('#form').evaluate((f: HTMLFormElement) => f.requestSubmit());
  await expect(page).toHaveURL('https://chatgpt.com/chat/send-sensitive');

  const events = await auditFor('/chat/send-sensitive', 4);
  expect(events.map((e) => e.detail)).toEqual(
    Array(4).fill({ kind: 'send', outcome: 'blocked', patterns: [{ name: 'client account', count: 1 }] }),
  );
  expect(JSON.stringify(events)).not.toMatch(/HC\d{8}|please look up|status of/);
  expect(await settled(page)).toBe(0);
  expect(posted.filter((p) => p.body.includes('HC'))).toEqual([]);
  await page.close();
});

test('harmless text is sent as usual, even past a pattern too dangerous to run', async () => {
  const page = await open('https://chatgpt.com/chat/send-harmless');
  await page.locator('#box').fill('hello from New York');
  await page.locator('#box').press('Enter');
  await expect.poll(() => postsTo('/send').map((p) => p.body)).toContain('hello from New York');
  await page.locator('#box').fill('second message');
  await page.getByTestId('send-button').click();
  await expect.poll(() => postsTo('/send').map((p) => p.body)).toContain('second message');
  // "(a+)+$" against this would backtrack for longer than the universe exists; it is never run.
  const runaway = `${'a'.repeat(5_000)}!`;
  const started = Date.now();
  await page.locator('#box').fill(runaway);
  await page.locator('#box').press('Enter');
  await expect.poll(() => postsTo('/send').map((p) => p.body)).toContain(runaway);
  expect(Date.now() - started).toBeLessThan(10_000);
  await page.locator('#q').fill('weather in Hong Kong');
  await page.getByRole('button', { name: 'Go' }).click();
  await expect.poll(() => postsTo('/form-send').map((p) => p.body)).toContain('q=weather+in+Hong+Kong');
  await expect(notice(page)).toHaveCount(0);
  await page.close();
});
