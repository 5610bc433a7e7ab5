/**
 * Data-controls guard (the policy's `dataControls`; docs/data-controls.md). The background registers
 * it only on the hosts of tools whose rule carries `dataControls`, at document_start in every frame,
 * so its capture listeners on `window` run before any listener the page can add. It blocks or warns
 * about pastes, drops, file choices and sends as the rule says; the decisions are the pure ones of
 * src/core/decide/data-controls.ts. Reports carry pattern names and counts, never the text.
 */
import {
  compilePatterns,
  controlsActive,
  decideDataAction,
  scanText,
  type CompiledPattern,
  type DataDecision,
  type DataKind,
  type DataOutcome,
} from '../core/decide/data-controls.ts';
import type { DataControls } from '../core/policy/policy-schema.ts';
import { pageLanguages, sendRequest } from '../platform/browser.ts';
import { contentTranslator } from '../ui/i18n.ts';

/** After "… anyway" on an upload, a drop or a send, the employee repeats it within this time. */
const GRACE_MS = 20_000;
const NOTICE_MS = 8_000;
const SEND_WORDS = /send|submit|envoyer|enviar|invia|發送|发送|送信|전송/i;
const TEXT_INPUT = /^(text|search|email|url|tel)$/;
/** Message-key suffix per kind: `dcBlockedPaste`, `dcCheckSend`… (static/_locales). */
const KEY = { paste: 'Paste', upload: 'Upload', drop: 'Drop', send: 'Send' } as const satisfies Record<
  DataKind,
  string
>;

/** undefined until the background answers (the first few milliseconds of the page). */
let controls: DataControls | null | undefined;
let ruleId: string | null = null;
let patterns: CompiledPattern[] = [];
/** The notice's words in the page's language, as the worker sends them with the controls. */
let t = contentTranslator({});
const graceUntil: Partial<Record<DataKind, number>> = {};
/** The text field the employee last typed in: what a send button without a form sends. */
let lastField: Element | null = null;
let host: HTMLElement | null = null;
let timer: ReturnType<typeof setTimeout> | undefined;
let pendingAnswer: ((ok: boolean) => void) | null = null;
/** A drag that started in this page moves what is already here: not a paste. */
let internalDrag = false;
/** The Enter whose keydown was stopped: some pages send on keyup. */
let stopKeyup = false;

const LISTENERS: [string, (e: never) => void][] = [
  ['paste', onPaste],
  ['drop', onDrop],
  ['input', onInput],
  ['change', onInput],
  ['keydown', onKeydown],
  ['keyup', onKeyup],
  ['click', onClick],
  ['submit', onSubmit],
  ['dragstart', () => (internalDrag = true)],
  ['dragend', () => (internalDrag = false)],
];

async function load(attempt = 0): Promise<void> {
  try {
    const answer = await sendRequest({ type: 'get-data-controls', url: location.href, languages: pageLanguages() });
    ruleId = answer.ruleId;
    t = contentTranslator(answer.strings ?? {});
    controls = controlsActive(answer.controls) ? answer.controls : null;
    // The background has already left out patterns that are unsafe to run (lint's check).
    patterns = controls?.sensitive ? compilePatterns(controls.patterns).patterns : [];
  } catch {
    // The worker is waking up, or the extension was reloaded (then this copy is orphaned).
    if (attempt < 2) return void setTimeout(() => void load(attempt + 1), 500);
    controls = null;
  }
  // Nothing to enforce here: no listener runs on this page's actions at all.
  for (const [type, fn] of LISTENERS) {
    if (controls) addEventListener(type, fn as EventListener, true);
    else removeEventListener(type, fn as EventListener, true);
  }
}

const sensitiveOn = () => controls === undefined || (!!controls?.sensitive && patterns.length > 0);

function isTextField(el: EventTarget | null | undefined): el is HTMLElement {
  return (
    el instanceof HTMLTextAreaElement ||
    (el instanceof HTMLInputElement && TEXT_INPUT.test(el.type)) ||
    (el instanceof HTMLElement && el.isContentEditable)
  );
}

function textOf(el: HTMLElement): string {
  return el instanceof HTMLTextAreaElement || el instanceof HTMLInputElement ? el.value : el.innerText;
}

function hasFiles(dt: DataTransfer): boolean {
  return dt.files.length > 0 || [...dt.items].some((i) => i.kind === 'file');
}

/**
 * Decide one action; when it may not go ahead as it is, cancel the event before the page sees it
 * and return true. A warned paste of text is re-inserted by `proceed` once the employee confirms;
 * other warned actions cannot be replayed faithfully, so confirming opens a short grace window in
 * which the employee repeats them.
 */
function check(e: Event, kind: DataKind, text: string, files: boolean, proceed?: () => void): boolean {
  const c = controls;
  if (c === null || (graceUntil[kind] ?? 0) > Date.now()) return false;
  let d: DataDecision | null = null;
  if (c) {
    const scan = text && c.sensitive && patterns.length ? scanText(text, patterns) : null;
    d = decideDataAction(c, { kind, hasText: !!text, hasFiles: files, scan });
    if (d.outcome === 'allow') return false;
  }
  e.preventDefault();
  e.stopImmediatePropagation();
  if (!d) {
    show(false, t('dcLoadingTitle'), t('dcLoadingBody'));
    return true;
  }
  const decision = d;
  const why = reason(d, files);
  if (d.outcome === 'block') {
    show(false, t(`dcBlocked${KEY[kind]}`), why);
    report(kind, 'blocked', d);
    return true;
  }
  void ask(t(`dcCheck${KEY[kind]}`), why, t(`dcAnyway${KEY[kind]}`)).then((ok) => {
    report(kind, ok ? 'warned-proceeded' : 'warned-cancelled', decision);
    if (!ok) return;
    if (proceed) return proceed();
    graceUntil[kind] = Date.now() + GRACE_MS;
    show(false, t(`dcAgain${KEY[kind]}`, GRACE_MS / 1000), '');
  });
  return true;
}

function reason(d: DataDecision, files: boolean): string {
  const list = d.patterns.map((p) => `${p.name} (${p.count})`).join(', ');
  const what = list ? t('dcContains', list) : d.unchecked ? t('dcTooLong') : '';
  const policy = t(
    `dc${d.outcome === 'block' ? 'Block' : 'Warn'}${what ? 'Share' : files ? 'Files' : 'Paste'}`,
    ruleId ?? '',
  );
  return what ? `${what} ${policy}` : policy;
}

function report(kind: DataKind, outcome: DataOutcome, d: DataDecision): void {
  sendRequest({
    type: 'data-control-event',
    url: location.href,
    kind,
    outcome,
    ruleId,
    patterns: d.patterns,
    ...(d.unchecked ? { unchecked: true } : {}),
  }).catch(() => undefined);
}

function onPaste(e: ClipboardEvent): void {
  const dt = e.clipboardData;
  const text = dt ? dt.getData('text/plain') || dt.getData('text/html') : '';
  const files = !!dt && hasFiles(dt);
  const target = e.composedPath()[0];
  // Where the caret was: focusing our dialog moves it, and the confirmed text goes back there.
  const field = target instanceof HTMLTextAreaElement || target instanceof HTMLInputElement ? target : null;
  const start = field?.selectionStart ?? null;
  const end = field?.selectionEnd ?? null;
  const sel = getSelection();
  const range = !field && sel?.rangeCount ? sel.getRangeAt(0).cloneRange() : null;
  check(
    e,
    'paste',
    text,
    files,
    text && !files && target instanceof HTMLElement
      ? () => {
          target.focus();
          if (field && start !== null) {
            field.setSelectionRange(start, end);
          } else if (range && sel) {
            sel.removeAllRanges();
            sel.addRange(range);
          }
          // execCommand keeps the page's undo history and fires the input events its framework listens to.
          if (!document.execCommand('insertText', false, text) && field) {
            field.setRangeText(text, field.selectionStart ?? 0, field.selectionEnd ?? 0, 'end');
            field.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
          }
        }
      : undefined,
  );
}

function onDrop(e: DragEvent): void {
  const dt = e.dataTransfer;
  if (dt && !internalDrag) check(e, 'drop', dt.getData('text/plain'), hasFiles(dt));
  internalDrag = false;
}

/** File choices (`input` is composed, so it reaches us from open shadow roots), and where text is typed. */
function onInput(e: Event): void {
  const el = e.composedPath()[0];
  if (el instanceof HTMLInputElement && el.type === 'file') {
    if (el.files?.length && check(e, 'upload', '', true)) {
      // Emptied, and its `change` (which follows in the same task, and is not composed, so it
      // stays inside a shadow root) swallowed: the page's own handler must not upload anything.
      el.value = '';
      const root = el.getRootNode();
      const swallow = (ev: Event) => {
        if (ev.composedPath()[0] === el) ev.stopImmediatePropagation();
      };
      root.addEventListener('change', swallow, true);
      setTimeout(() => root.removeEventListener('change', swallow, true));
    }
  } else if (isTextField(el)) {
    lastField = el;
  }
}

function onKeydown(e: KeyboardEvent): void {
  if (e.key !== 'Enter' || e.shiftKey || e.isComposing || !sensitiveOn()) return;
  const el = e.composedPath()[0];
  stopKeyup = isTextField(el) && check(e, 'send', textOf(el), false);
}

function onKeyup(e: KeyboardEvent): void {
  if (e.key === 'Enter' && stopKeyup) {
    stopKeyup = false;
    e.stopImmediatePropagation();
  }
}

function onClick(e: MouseEvent): void {
  if (!sensitiveOn()) return;
  const path = e.composedPath();
  if (host && path.includes(host)) return; // our own dialog
  const button = path.find(
    (n): n is HTMLElement =>
      n instanceof HTMLElement && n.matches('button,input[type=submit],input[type=image],[role=button]'),
  );
  if (!button) return;
  const form = (button as HTMLButtonElement).form ?? null;
  const label = [
    button.getAttribute('aria-label'),
    button.getAttribute('data-testid'),
    button.title,
    button.textContent?.slice(0, 100),
  ].join(' ');
  if (!(form && (button as HTMLButtonElement).type === 'submit') && !SEND_WORDS.test(label)) return;
  check(
    e,
    'send',
    form ? formText(form) : lastField?.isConnected && isTextField(lastField) ? textOf(lastField) : '',
    false,
  );
}

function onSubmit(e: SubmitEvent): void {
  const form = e.composedPath()[0];
  if (sensitiveOn() && form instanceof HTMLFormElement) check(e, 'send', formText(form), false);
}

function formText(form: HTMLFormElement): string {
  return [...form.querySelectorAll('textarea,input,[contenteditable]')].filter(isTextField).map(textOf).join('\n');
}

// ---------------------------------------------------------------------------------------------
// In-page notice and dialog: one host element, `data-ai-geofence="notice"` (a name tests and outside tools rely on; docs/data-controls.md#what-the-employee-sees), content
// in a shadow root so the page's styles neither break nor restyle it.

function node<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text = '',
  attrs: Record<string, string> = {},
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  el.textContent = text;
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

function show(dialog: boolean, title: string, body: string): HTMLElement {
  clearTimeout(timer);
  pendingAnswer?.(false);
  host?.remove();
  host = node('div', '', { 'data-ai-geofence': 'notice' });
  const root = host.attachShadow({ mode: 'open' });
  const style = node(
    'style',
    ':host{all:initial;position:fixed;inset-inline:0;bottom:24px;z-index:2147483647;display:flex;justify-content:center;pointer-events:none}' +
      'div{pointer-events:auto;font:14px/1.45 system-ui,sans-serif;color:#1b1b1b;background:#fff;max-width:34rem;margin:0 16px;padding:12px 16px;' +
      'border-inline-start:5px solid #b3261e;box-shadow:0 4px 18px #0006}p{margin:4px 0 10px}' +
      'button{font:inherit;border:1px solid #555;background:#fff;border-radius:4px;padding:3px 12px;margin-inline-end:8px}button:focus-visible{outline:3px solid #1f5fbf}',
  );
  const box = node(
    'div',
    '',
    dialog
      ? { role: 'alertdialog', 'aria-modal': 'true', 'aria-labelledby': 't', 'aria-describedby': 'd' }
      : { role: 'alert' },
  );
  box.append(node('strong', title, { id: 't' }), node('p', body, { id: 'd' }));
  root.append(style, box);
  document.documentElement.append(host);
  if (!dialog) {
    const close = node('button', t('dcDismiss'), { type: 'button' });
    close.onclick = () => host?.remove();
    box.append(close);
    const mine = host;
    timer = setTimeout(() => mine.remove(), NOTICE_MS);
  }
  return box;
}

/** Ask once: resolves true on "… anyway", false on Cancel, Escape or when replaced. Only the employee's own clicks count. */
function ask(title: string, body: string, okLabel: string): Promise<boolean> {
  const box = show(true, title, body);
  const ok = node('button', okLabel, { type: 'button' });
  const cancel = node('button', t('dcCancel'), { type: 'button' });
  let back = document.activeElement;
  while (back?.shadowRoot?.activeElement) back = back.shadowRoot.activeElement;
  box.append(ok, cancel);
  cancel.focus();
  return new Promise((resolve) => {
    const done = (answer: boolean) => {
      pendingAnswer = null;
      host?.remove();
      // Back where the employee was, to type on or to repeat the action.
      if (back instanceof HTMLElement) back.focus();
      resolve(answer);
    };
    pendingAnswer = done;
    // isTrusted: a page script must not be able to confirm on the employee's behalf.
    ok.onclick = (e) => e.isTrusted && done(true);
    cancel.onclick = (e) => e.isTrusted && done(false);
    box.onkeydown = (e) => e.key === 'Escape' && done(false);
  });
}

// Listeners go on synchronously, before the page's scripts run; load() removes them where the
// rule turns out to have nothing to enforce. A second injection (the policy changed while this tab
// was open) only asks for the controls again.
const g = globalThis as { aiGeofenceGuard?: () => void };
if (g.aiGeofenceGuard) {
  g.aiGeofenceGuard();
} else {
  g.aiGeofenceGuard = () => void load();
  for (const [type, fn] of LISTENERS) addEventListener(type, fn as EventListener, true);
  void load();
  // A single-page app may move to a path another rule covers (tool `paths`).
  (globalThis as { navigation?: EventTarget }).navigation?.addEventListener('navigatesuccess', () => void load());
}
