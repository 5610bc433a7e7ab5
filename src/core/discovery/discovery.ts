/**
 * Discovery of unlisted AI tools (the policy's `unlistedAiAction`; docs/beyond-domains.md#discovery-of-unlisted-ai-tools): the pure half.
 *
 * - What the page detector looks for (vocabulary, prompt boxes, model names, AI API endpoints) and
 *   when a set of signals makes a page "an AI tool" (`classifySignals`).
 * - The browser's register of discovered hosts: bounded, expiring, one audit event per host a day
 *   (`noteDiscovered`).
 * - The policy as enforced with the discovered hosts (`withDiscoveredTools`): each host becomes a
 *   synthetic tool `unlisted:<host>` decided by one synthetic rule carrying `unlistedAiAction`, so
 *   network rules, the block and warn pages, acknowledgements and audit events work exactly as for
 *   listed tools.
 * - The compliance report over collected `discovered-tool` events (`discoveredReport`, CLI
 *   `discovered`).
 *
 * No browser API here. The detector glue is src/content/discovery.ts; the background glue is
 * src/background/discovery.ts.
 */
import { hostOfUrl, hostSuffixes, normalizeHost } from '../catalogue/hosts.ts';
import type { Notice, Policy, Rule, Tool } from '../policy/policy-schema.ts';

/**
 * What the detector saw, never page text:
 * - `name`: the page's title, site name or description uses AI vocabulary ("AI", "assistant", "LLM", "GPT", 人工智能…);
 * - `chat-input`: a multi-line editable (textarea, contenteditable, role=textbox) labelled as a prompt
 *   ("Ask anything", "Message …", "Enter a prompt");
 * - `send-button`: a button labelled "Send" / "Submit" (only looked for next to a chat input);
 * - `model-picker`: a button, select or combobox naming a model family (GPT-4o, Claude, Llama…);
 * - `ai-endpoint`: the page called an AI API path (`/v1/chat/completions`, `/api/chat`, `:generateContent`…).
 */
export const DISCOVERY_SIGNALS = ['name', 'chat-input', 'send-button', 'model-picker', 'ai-endpoint'] as const;
export type DiscoverySignal = (typeof DISCOVERY_SIGNALS)[number];

/** AI vocabulary in a title, site name or description (English, Chinese, Japanese, French, German). */
export const AI_NAME_RE =
  /(?:^|[^\p{L}\p{N}])(?:ai|a\.i\.|gpt|llm|llms|chatbot|chat ?bot|ai assistant|assistant|copilot|genai|gen ai|generative|language model|ia|ki)(?![\p{L}\p{N}])|人工智能|人工智慧|智能助手|智慧助理|生成AI|AIアシスタント|チャットボット|KI-Assistent/iu;

/**
 * A prompt box's placeholder, label or id, tested one attribute at a time: "Ask anything",
 * "Message DeepSeek", "Enter a prompt here", `id="prompt-textarea"` — not a contact form's
 * "Your message".
 */
export const PROMPT_LABEL_RE =
  /\bprompt|^ask\b|^message\b|send a message|how can i help|what can i help|what do you want to know|what'?s on your mind|^chat with|^talk to|(?:type|write|enter) (?:a|your) (?:question|message|prompt)|^输入|提问|發問|質問|^メッセージ|^posez|^demandez|^nachricht an|^frag/iu;

/** A send button's label, test id or text. */
export const SEND_LABEL_RE = /\bsend\b|\bsubmit\b|发送|發送|送信|envoyer|senden/i;

/** Model families as vendors name them in their pickers. */
export const MODEL_NAME_RE =
  /\b(?:gpt-?[345]|gpt-?4o|o[134](?:-mini|-pro)?\b|claude|sonnet|opus|haiku|gemini|llama|mistral|mixtral|qwen|deepseek|grok|phi-[34]|command r|gemma|kimi|glm-?4|ernie|doubao)/i;

/** Paths of AI APIs (OpenAI-compatible, Anthropic, Google, Ollama/Open WebUI and common chat backends). */
export const AI_ENDPOINT_RE =
  /\/v1\/(?:chat\/completions|completions|messages|responses)\b|\/api\/(?:chat|generate)\b|\/backend-api\/conversation|:(?:stream)?generateContent\b|\/chat\/completions\b/i;

/**
 * Whether the signals make the page an AI tool. A prompt box alone (a support chat, a search box)
 * is not enough, nor is AI vocabulary alone (a news article about AI): it takes a prompt box with
 * an AI name, a model picker or an AI API call — or an AI API call with an AI name or a model picker.
 */
export function classifySignals(signals: Iterable<DiscoverySignal>): boolean {
  const s = new Set(signals);
  const support = s.has('name') || s.has('model-picker');
  return (s.has('chat-input') && (support || s.has('ai-endpoint'))) || (s.has('ai-endpoint') && support);
}

/** Keep only known signal names, once each, in a stable order (untrusted input from a content script). */
export function cleanSignals(input: unknown): DiscoverySignal[] {
  if (!Array.isArray(input)) return [];
  return DISCOVERY_SIGNALS.filter((s) => input.includes(s));
}

/**
 * The domain a discovered page is remembered and enforced by: its normalised host without a
 * leading `www.` (so the bare name and www are one tool). Empty for IP literals, single-label and
 * malformed hosts: those are reported but cannot become a domain rule.
 */
export function discoveredDomain(host: string): string {
  const h = normalizeHost(host);
  if (!h?.includes('.')) return '';
  return h.startsWith('www.') && h.split('.').length > 2 ? h.slice(4) : h;
}

/** One discovered host as this browser remembers it. */
export interface DiscoveredEntry {
  /** The page's origin when first seen, e.g. `https://chat.novaai.example`. */
  origin: string;
  firstSeen: number;
  lastSeen: number;
  /** When the last `discovered-tool` event for it was recorded (ms). */
  lastReported: number;
  signals: DiscoverySignal[];
}
/** domain → entry. */
export type DiscoveredRegister = Record<string, DiscoveredEntry>;

/** At most this many hosts are remembered (and enforced); the least recently seen go first. */
export const DISCOVERED_MAX = 500;
/** A host not seen again for this long is forgotten. */
export const DISCOVERED_TTL_MS = 90 * 24 * 3_600_000;
/** One `discovered-tool` audit event per host per this interval, however often it is visited. */
export const DISCOVERED_REPORT_INTERVAL_MS = 24 * 3_600_000;

/** Drop expired entries and keep the `DISCOVERED_MAX` most recently seen. */
export function pruneDiscovered(reg: DiscoveredRegister, now: number): DiscoveredRegister {
  const live = Object.entries(reg).filter(
    ([, e]) => e && Number.isFinite(e.lastSeen) && now - e.lastSeen < DISCOVERED_TTL_MS,
  );
  live.sort((a, b) => b[1].lastSeen - a[1].lastSeen);
  return Object.fromEntries(live.slice(0, DISCOVERED_MAX));
}

/** Remember a discovery; `report` says whether to record a `discovered-tool` event now. */
export function noteDiscovered(
  reg: DiscoveredRegister,
  domain: string,
  origin: string,
  signals: readonly DiscoverySignal[],
  now: number,
): { register: DiscoveredRegister; report: boolean; isNew: boolean } {
  const old = reg[domain];
  const report = !old || now - old.lastReported >= DISCOVERED_REPORT_INTERVAL_MS;
  const entry: DiscoveredEntry = {
    origin: old?.origin ?? origin,
    firstSeen: old?.firstSeen ?? now,
    lastSeen: now,
    lastReported: report ? now : old!.lastReported,
    signals: DISCOVERY_SIGNALS.filter((s) => signals.includes(s) || old?.signals.includes(s)),
  };
  return { register: pruneDiscovered({ ...reg, [domain]: entry }, now), report, isNew: !old };
}

export const UNLISTED_TOOL_PREFIX = 'unlisted:';
export const UNLISTED_RULE_ID = 'UNLISTED-AI-TOOL';

/**
 * Whether a discovered domain is (now) covered by a listed tool — the same host, a subdomain of a
 * listed domain, or a parent of one. A parent is left alone too: blocking `example.com` as
 * unlisted would also cover a listed `chat.example.com` that the policy allows.
 */
export function coveredByListed(domain: string, listed: ReadonlySet<string> | ReadonlyMap<string, unknown>): boolean {
  for (const s of hostSuffixes(domain)) if (listed.has(s)) return true;
  const tail = `.${domain}`;
  for (const d of listed.keys()) if (d.endsWith(tail)) return true;
  return false;
}

const NOTICE_TITLE = {
  en: 'Unlisted AI tool',
  'zh-Hant': '未列入清單的 AI 工具',
  'zh-HK': '未有列入清單的 AI 工具',
  'zh-Hans': '未列入清单的 AI 工具',
  ja: '未登録の AI ツール',
  fr: 'Outil d’IA non répertorié',
  de: 'Nicht gelistetes KI-Werkzeug',
};
const NOTICE_REASON = {
  block: {
    en: 'This site looks like an AI tool that your company’s AI policy does not list. Until compliance has reviewed it, unlisted AI tools may not be used from your office.',
    'zh-Hant':
      '此網站看來是貴公司 AI 政策未列出的 AI 工具。在合規部門審核之前，您所在的辦公室不得使用未列入清單的 AI 工具。',
    'zh-HK':
      '此網站看來是貴公司 AI 政策未有列出的 AI 工具。在合規部審核前，您所屬辦事處不得使用未有列入清單的 AI 工具。',
    'zh-Hans':
      '此网站看来是贵公司 AI 政策未列出的 AI 工具。在合规部门审核之前，您所在的办公室不得使用未列入清单的 AI 工具。',
    ja: 'このサイトは、会社の AI ポリシーに記載されていない AI ツールのようです。コンプライアンス部門の審査が終わるまで、あなたのオフィスでは未登録の AI ツールを使用できません。',
    fr: 'Ce site semble être un outil d’IA que la politique d’IA de votre entreprise ne répertorie pas. Tant que la conformité ne l’a pas examiné, les outils d’IA non répertoriés ne peuvent pas être utilisés depuis votre bureau.',
    de: 'Diese Seite scheint ein KI-Werkzeug zu sein, das die KI-Richtlinie Ihres Unternehmens nicht aufführt. Bis Compliance es geprüft hat, dürfen nicht gelistete KI-Werkzeuge von Ihrem Standort aus nicht verwendet werden.',
  },
  warn: {
    en: 'This site looks like an AI tool that your company’s AI policy does not list. Compliance has not reviewed it: do not enter client, personal or confidential information.',
    'zh-Hant': '此網站看來是貴公司 AI 政策未列出的 AI 工具。合規部門尚未審核：請勿輸入客戶、個人或機密資料。',
    'zh-HK': '此網站看來是貴公司 AI 政策未有列出的 AI 工具。合規部尚未審核：請勿輸入客戶、個人或機密資料。',
    'zh-Hans': '此网站看来是贵公司 AI 政策未列出的 AI 工具。合规部门尚未审核：请勿输入客户、个人或机密信息。',
    ja: 'このサイトは、会社の AI ポリシーに記載されていない AI ツールのようです。コンプライアンス部門は審査していません。顧客情報、個人情報、機密情報を入力しないでください。',
    fr: 'Ce site semble être un outil d’IA que la politique d’IA de votre entreprise ne répertorie pas. La conformité ne l’a pas examiné : n’y saisissez aucune information client, personnelle ou confidentielle.',
    de: 'Diese Seite scheint ein KI-Werkzeug zu sein, das die KI-Richtlinie Ihres Unternehmens nicht aufführt. Compliance hat es nicht geprüft: Geben Sie keine Kunden-, Personen- oder vertraulichen Daten ein.',
  },
};

/**
 * The policy with discovered hosts as tools, decided by `unlistedAiAction`. Returns `policy` itself
 * when that is `allow` or no discovered host is left to add (hosts a listed tool covers are skipped).
 * `alternatives`: ids of tools this employee may use, for the notice.
 */
export function withDiscoveredTools(
  policy: Policy,
  domains: readonly string[],
  listed: ReadonlySet<string> | ReadonlyMap<string, unknown>,
  alternatives: readonly string[] = [],
): Policy {
  const action = policy.unlistedAiAction;
  if (action === 'allow') return policy;
  const tools: Record<string, Tool> = {};
  for (const domain of [...new Set(domains)].sort()) {
    if (!domain || coveredByListed(domain, listed)) continue;
    tools[`${UNLISTED_TOOL_PREFIX}${domain}`] = { name: domain, vendor: 'Unlisted AI tool', domains: [domain] };
  }
  const ids = Object.keys(tools);
  if (ids.length === 0) return policy;
  const notice: Notice = {
    title: NOTICE_TITLE,
    reason: NOTICE_REASON[action],
    // In the employee's words: the policy field's name is configuration, not a reference they can use.
    reference: {
      en: `AI policy ${policy.serial}: AI tools not on the list`,
      'zh-Hant': `AI 政策 ${policy.serial}：未列入清單的 AI 工具`,
      'zh-HK': `AI 政策 ${policy.serial}：未有列入清單的 AI 工具`,
      'zh-Hans': `AI 政策 ${policy.serial}：未列入清单的 AI 工具`,
      ja: `AI ポリシー ${policy.serial}：未登録の AI ツール`,
      fr: `Politique d’IA ${policy.serial} : outils d’IA non répertoriés`,
      de: `KI-Richtlinie ${policy.serial}: nicht gelistete KI-Werkzeuge`,
    },
    ...(alternatives.length ? { alternatives: [...alternatives] } : {}),
  };
  const rule: Rule = {
    id: UNLISTED_RULE_ID,
    tools: ids,
    action,
    notice,
    allowForMinutes: 60,
    requireJustification: false,
  };
  return { ...policy, tools: { ...policy.tools, ...tools }, rules: [...policy.rules, rule] };
}

/** One discovered host across the collected events, for compliance (CLI `discovered`). */
export interface DiscoveredHostReport {
  host: string;
  origins: string[];
  /** `discovered-tool` events (each browser reports a host at most once a day). */
  events: number;
  /** Distinct browsers (`source`) that reported it. */
  browsers: number;
  offices: string[];
  firstSeen: string;
  lastSeen: string;
  signals: DiscoverySignal[];
  /** What was applied when it was reported (`allow`, `warn`, `block`), with counts. */
  actions: Record<string, number>;
}

/**
 * Group collected `discovered-tool` events by host, most widespread first. Other events are ignored;
 * events come from a collector's file, so every field is checked before use.
 */
export function discoveredReport(events: Iterable<Readonly<Record<string, unknown>>>): {
  events: number;
  hosts: DiscoveredHostReport[];
} {
  const byHost = new Map<
    string,
    DiscoveredHostReport & {
      sources: Set<string>;
      officeSet: Set<string>;
      originSet: Set<string>;
      signalSet: Set<string>;
    }
  >();
  const str = (x: unknown): string | null => (typeof x === 'string' && x ? x : null);
  let count = 0;
  for (const e of events) {
    if (e.type !== 'discovered-tool') continue;
    const d = (e.detail && typeof e.detail === 'object' ? e.detail : {}) as Record<string, unknown>;
    const origin = str(d.origin) ?? str(e.url) ?? '';
    const host = str(d.host) ?? hostOfOrigin(origin);
    const time = str(e.time);
    if (!host || !time) continue;
    count++;
    let h = byHost.get(host);
    if (!h) {
      h = {
        host,
        origins: [],
        events: 0,
        browsers: 0,
        offices: [],
        firstSeen: time,
        lastSeen: time,
        signals: [],
        actions: {},
        sources: new Set(),
        officeSet: new Set(),
        originSet: new Set(),
        signalSet: new Set(),
      };
      byHost.set(host, h);
    }
    h.events++;
    const source = str(e.source);
    const office = str(e.office);
    if (source) h.sources.add(source);
    if (office) h.officeSet.add(office);
    if (origin) h.originSet.add(origin);
    for (const s of cleanSignals(d.signals)) h.signalSet.add(s);
    const action = str(d.action) ?? 'unknown';
    h.actions[action] = (h.actions[action] ?? 0) + 1;
    if (time < h.firstSeen) h.firstSeen = time;
    if (time > h.lastSeen) h.lastSeen = time;
  }
  const hosts = [...byHost.values()].map(({ sources, officeSet, originSet, signalSet, ...h }) => ({
    ...h,
    browsers: sources.size,
    offices: [...officeSet].sort(),
    origins: [...originSet].sort(),
    signals: DISCOVERY_SIGNALS.filter((s) => signalSet.has(s)),
  }));
  hosts.sort((a, b) => b.browsers - a.browsers || b.events - a.events || a.host.localeCompare(b.host));
  return { events: count, hosts };
}

function hostOfOrigin(origin: string): string {
  return discoveredDomain(hostOfUrl(origin) ?? '');
}
