/**
 * Models content script (docs/beyond-domains.md#model-level-rules), registered by src/background/model-registration.ts only on the
 * hosts of tools with model-level rules for this employee. It works out which model is in use
 * (URL query/path, or the model picker's visible text) and, while a `block` rule names it, covers
 * the page with an overlay that cannot be dismissed (host element `data-ai-geofence="overlay"`,
 * shadow root); a `warn` rule shows the same overlay with an acknowledgement. Switching to
 * an allowed model removes it. Cheap: one debounced text read per burst of DOM mutations, one
 * `location.href` comparison per tick.
 */
import { modelRuleFor, modelsInUse, type ModelDef, type ModelRule } from '../core/decide/model-match.ts';
import { pageLanguages, sendRequest } from '../platform/browser.ts';
import { contentTranslator } from '../ui/i18n.ts';

const HOST_ATTR = 'data-ai-geofence';
const DEBOUNCE_MS = 200;

let models: Record<string, ModelDef> = {};
let rules: ModelRule[] = [];
let needsText = false;
/** The overlay's words in the page's language, sent by the worker with the rules. */
let t = contentTranslator({});
/** `rule/model` pairs the employee acknowledged on this page (warn only). */
const acknowledged = new Set<string>();
let shown = '';

async function load(): Promise<void> {
  try {
    const answer = await sendRequest({ type: 'get-model-rules', url: location.href, languages: pageLanguages() });
    models = answer.models;
    rules = answer.rules;
    t = contentTranslator(answer.strings ?? {});
  } catch {
    return; // the extension was reloaded; the new instance re-registers the script
  }
  needsText = Object.values(models).some((m) => m.match?.text?.length);
  evaluate();
}

function evaluate(): void {
  if (rules.length === 0) {
    show(null);
    return;
  }
  // innerText only when some model is recognised by text: it forces layout.
  const text = needsText && document.body ? document.body.innerText : '';
  const hit = modelRuleFor(rules, modelsInUse(models, location.href, text));
  show(hit && !(hit.rule.action === 'warn' && acknowledged.has(`${hit.rule.id}/${hit.model}`)) ? hit : null);
}

function show(hit: { rule: ModelRule; model: string } | null): void {
  const key = hit ? `${hit.rule.id}/${hit.model}/${hit.rule.action}` : '';
  const present = document.querySelector(`[${HOST_ATTR}="overlay"]`);
  if (key === shown && (present !== null) === (hit !== null)) return;
  present?.remove();
  shown = key;
  if (!hit || (hit.rule.action !== 'block' && hit.rule.action !== 'warn')) return;
  const { rule, model } = hit;
  report(rule, model, rule.action === 'block' ? 'block' : 'warn-shown');
  const modelName = models[model]?.name ?? model;
  const host = document.createElement('div');
  host.setAttribute(HOST_ATTR, 'overlay');
  host.setAttribute('role', 'alertdialog');
  host.setAttribute('aria-modal', 'true');
  host.setAttribute('aria-label', rule.title);
  host.dataset.rule = rule.id;
  host.dataset.model = model;
  // Open, unlike the banner: the page can remove the host either way (we put it back), and an
  // open root lets tests and assistive tooling read and press what the employee sees.
  const root = host.attachShadow({ mode: 'open' });
  const style = document.createElement('style');
  style.textContent = `:host{all:initial;position:fixed;inset:0;z-index:2147483647}
div{box-sizing:border-box;width:100%;height:100%;display:flex;flex-direction:column;justify-content:center;align-items:center;gap:12px;
padding:24px;font:16px/1.5 system-ui,sans-serif;color:#1b1b1b;background:${rule.action === 'block' ? '#fde8e8' : '#fff4d6'};text-align:center}
h1{font-size:22px;margin:0}button{font:inherit;border:1px solid #555;background:#fff;border-radius:4px;padding:4px 14px;cursor:pointer}`;
  const box = document.createElement('div');
  const h1 = document.createElement('h1');
  h1.textContent = rule.title;
  const p = document.createElement('p');
  p.textContent = t(rule.action === 'block' ? 'modelBlocked' : 'modelWarn', modelName, rule.id);
  box.append(h1, p);
  if (rule.action === 'warn') {
    const ok = document.createElement('button');
    ok.type = 'button';
    ok.textContent = t('modelContinue');
    ok.addEventListener('click', () => {
      acknowledged.add(`${rule.id}/${model}`);
      report(rule, model, 'warn-proceeded');
      evaluate();
    });
    box.append(ok);
  }
  root.append(style, box);
  document.documentElement.append(host);
}

/** Audit once per rule/model/outcome and page load: re-showing after a removal is not a new event. */
const reported = new Set<string>();
function report(rule: ModelRule, model: string, outcome: 'block' | 'warn-shown' | 'warn-proceeded'): void {
  const key = `${rule.id}/${model}/${outcome}`;
  if (reported.has(key)) return;
  reported.add(key);
  sendRequest({ type: 'model-event', url: location.href, ruleId: rule.id, model, outcome }).catch(() => undefined);
}

let timer: ReturnType<typeof setTimeout> | undefined;
function schedule(): void {
  if (timer !== undefined) return;
  timer = setTimeout(() => {
    timer = undefined;
    evaluate();
  }, DEBOUNCE_MS);
}

void load();
// The picker is text in the vendor's DOM; our own overlay lives outside <body>, so it does not re-trigger this.
new MutationObserver((records) => {
  if (needsText && records.some((r) => !(r.target instanceof Element && r.target.closest(`[${HOST_ATTR}]`))))
    schedule();
  // Removing our overlay by script does not lift a block: put it back.
  if (shown && !document.querySelector(`[${HOST_ATTR}="overlay"]`)) schedule();
}).observe(document.documentElement, { childList: true, subtree: true, characterData: true });
// pushState/replaceState are invisible to the isolated world; the Navigation API (Chromium) sees them.
let lastUrl = location.href;
const onUrl = () => {
  if (location.href === lastUrl) return;
  lastUrl = location.href;
  evaluate();
};
addEventListener('popstate', onUrl);
const nav = (globalThis as { navigation?: EventTarget }).navigation;
if (nav) nav.addEventListener('navigatesuccess', onUrl);
setInterval(onUrl, 500);
