/**
 * The discovery detector's reading of a page (docs/beyond-domains.md#discovery-of-unlisted-ai-tools): which signals of src/core/discovery/discovery.ts it
 * shows. DOM only, no extension API, so the benchmark can run it in any page. Bounded: the title
 * and four meta tags, at most 20 editable elements, and — only once a prompt box was found — at
 * most 200 buttons and 100 pickers; resource timing names are read, never page text.
 */
import {
  AI_ENDPOINT_RE,
  AI_NAME_RE,
  MODEL_NAME_RE,
  PROMPT_LABEL_RE,
  SEND_LABEL_RE,
  type DiscoverySignal,
} from '../core/discovery/discovery.ts';

const EDITABLE = 'textarea, [contenteditable]:not([contenteditable="false"]), [role="textbox"]';
const PICKER = 'select, [role="combobox"], [aria-haspopup], button[aria-expanded]';

function meta(doc: Document, selector: string): string {
  return doc.querySelector<HTMLMetaElement>(selector)?.content ?? '';
}

/** The texts that label an editable: its own attributes, a ProseMirror placeholder, aria-labelledby. */
function labelsOf(el: Element): string[] {
  const out: string[] = [];
  for (const a of ['placeholder', 'aria-label', 'data-placeholder', 'title', 'id', 'name']) {
    const v = el.getAttribute(a);
    if (v) out.push(v.trim());
  }
  // ProseMirror-style editors keep the placeholder on their first paragraph.
  const inner = el.querySelector('[data-placeholder], [placeholder]');
  const innerText = inner?.getAttribute('data-placeholder') ?? inner?.getAttribute('placeholder');
  if (innerText) out.push(innerText.trim());
  const labelledBy = el.getAttribute('aria-labelledby');
  const label = labelledBy ? el.ownerDocument.getElementById(labelledBy.split(' ')[0] ?? '')?.textContent : null;
  if (label) out.push(label.slice(0, 200).trim());
  return out;
}

/** True when a resource URL's path looks like an AI API call. */
export function isAiEndpoint(url: string): boolean {
  const q = url.indexOf('?');
  return AI_ENDPOINT_RE.test(q < 0 ? url : url.slice(0, q));
}

/** Read the page's discovery signals. `resources`: resource URLs seen (resource timing). */
export function collectSignals(doc: Document, resources: readonly string[]): Set<DiscoverySignal> {
  const s = new Set<DiscoverySignal>();
  const names = [
    doc.title,
    meta(doc, 'meta[property="og:site_name"]'),
    meta(doc, 'meta[name="application-name"]'),
    meta(doc, 'meta[property="og:title"]'),
    meta(doc, 'meta[name="description"]'),
  ]
    .join('\n')
    .slice(0, 2000);
  if (AI_NAME_RE.test(names)) s.add('name');
  if (resources.some(isAiEndpoint)) s.add('ai-endpoint');
  const editables = doc.querySelectorAll(EDITABLE);
  // Indexed, not Array.from: a page may hold thousands of these and only the first few are read.
  for (let i = 0, el = editables[0]; el && i < 20; el = editables[++i]) {
    if (el instanceof HTMLInputElement) continue;
    if (labelsOf(el).some((l) => PROMPT_LABEL_RE.test(l))) {
      s.add('chat-input');
      break;
    }
  }
  if (!s.has('chat-input')) return s;
  const buttons = doc.querySelectorAll('button, [role="button"], input[type="submit"]');
  for (let i = 0, b = buttons[0]; b && i < 200; b = buttons[++i]) {
    const label = `${b.getAttribute('aria-label') ?? ''} ${b.getAttribute('data-testid') ?? ''} ${b.getAttribute('title') ?? ''} ${b.getAttribute('value') ?? ''} ${(b.textContent ?? '').slice(0, 40)}`;
    if (SEND_LABEL_RE.test(label)) {
      s.add('send-button');
      break;
    }
  }
  const pickers = doc.querySelectorAll(PICKER);
  for (let i = 0, picker = pickers[0]; picker && i < 100; picker = pickers[++i]) {
    if (MODEL_NAME_RE.test((picker.textContent ?? '').slice(0, 120))) {
      s.add('model-picker');
      break;
    }
  }
  return s;
}
