/**
 * Lint checks for honest mistakes that make enforcement quietly weaker than compliance meant: a
 * country code no office can have ("HKG"), a region nobody is in, a misspelt model, a policy tool
 * that narrows the catalogue, a notice half translated, two tools claiming one URL, a rule that
 * selects no office. Each finding names the JSON path (and, through it, the rule id).
 */
import { CATALOGUE } from '../catalogue/catalogue.ts';
import { isIsoCountryCode, suggestCountryCode } from '../config/countries.ts';
import { droppedCatalogueDomains, ruleTargets, type Subject } from '../decide/decide.ts';
import { longestPrefix, normalizeHost, normalizePrefixes } from '../catalogue/hosts.ts';
import { isObj, own, ruleName, str, strings, type Add, type Obj, type RuleView } from './lint-read.ts';
import { didYouMean, quoteList } from '../config/near-match.ts';

export interface MistakeContext {
  doc: Obj;
  offices: Obj;
  policyTools: Obj;
  rules: readonly RuleView[];
  now: number;
}

/** Run every check of this module. */
export function checkMistakes(ctx: MistakeContext, add: Add): void {
  checkCountryCodes(ctx, add);
  checkUnusedTargets(ctx, add);
  checkOfficesWithoutJurisdiction(ctx, add);
  checkContradictions(ctx, add);
  checkReachesNoOffice(ctx, add);
  checkGroupSpellings(ctx, add);
  checkModels(ctx, add);
  checkReplaceCatalogue(ctx, add);
  checkTranslations(ctx, add);
  checkOverlappingTools(ctx, add);
  checkWindowsAfterExpiry(ctx, add);
  checkSelfAlternatives(ctx, add);
  checkEffectiveDates(ctx, add);
}

const JURISDICTION_FIELDS = ['jurisdictions', 'exceptJurisdictions'] as const;
const REGION_FIELDS = ['regions', 'exceptRegions'] as const;

/** `"HKG" is not an ISO 3166-1 alpha-2 country code, so <effect>; did you mean "HK"?` */
function countryCodeProblem(code: string, effect: string): string {
  const hint = suggestCountryCode(code);
  return `"${code}" is not an ISO 3166-1 alpha-2 country code, so ${effect}${hint ? `; did you mean "${hint}"?` : ' (codes are two capital letters, e.g. "HK", "GB", "US")'}`;
}

/** Jurisdictions are compared as ISO codes: "HKG" or "UK" matches no office, ever. */
function checkCountryCodes({ offices, rules }: MistakeContext, add: Add): void {
  for (const [code, o] of Object.entries(offices)) {
    const j = isObj(o) ? str(o.jurisdiction) : undefined;
    if (j !== undefined && !isIsoCountryCode(j)) {
      add(
        'error',
        ['offices', code, 'jurisdiction'],
        countryCodeProblem(j, `rules that target or except jurisdictions misjudge office "${code}"`),
      );
    }
  }
  for (const r of rules) {
    for (const field of JURISDICTION_FIELDS) {
      strings(r.raw[field])?.forEach((j, k) => {
        if (isIsoCountryCode(j)) return;
        const effect =
          field === 'jurisdictions' ? 'it selects no office' : 'it excepts no office (the rule applies there too)';
        add('error', ['rules', r.index, field, k], countryCodeProblem(j, effect));
      });
    }
  }
}

/** The jurisdictions and regions the policy's offices have. */
function officeAttributes(offices: Obj): { jurisdictions: Set<string>; regions: Set<string> } {
  const jurisdictions = new Set<string>();
  const regions = new Set<string>();
  for (const o of Object.values(offices)) {
    if (!isObj(o)) continue;
    const j = str(o.jurisdiction);
    if (j !== undefined) jurisdictions.add(j);
    for (const r of strings(o.regions) ?? []) regions.add(r);
  }
  return { jurisdictions, regions };
}

/** A valid code or a region name that no office has: most often a typo ("emae") or a missing office. */
function checkUnusedTargets({ offices, rules }: MistakeContext, add: Add): void {
  const have = officeAttributes(offices);
  const listed = (set: Set<string>) => (set.size ? [...set].sort().join(', ') : 'none');
  for (const r of rules) {
    for (const field of JURISDICTION_FIELDS) {
      strings(r.raw[field])?.forEach((j, k) => {
        if (!isIsoCountryCode(j) || have.jurisdictions.has(j)) return; // invalid codes are errors above
        add(
          'warning',
          ['rules', r.index, field, k],
          `no office has jurisdiction "${j}" (offices' jurisdictions: ${listed(have.jurisdictions)}), so this entry changes nothing`,
        );
      });
    }
    for (const field of REGION_FIELDS) {
      strings(r.raw[field])?.forEach((region, k) => {
        if (have.regions.has(region)) return;
        add(
          'warning',
          ['rules', r.index, field, k],
          `no office is in region "${region}" (offices' regions: ${listed(have.regions)})${didYouMean(region, have.regions)}`,
        );
      });
    }
  }
}

/** An office without a jurisdiction is never selected by `jurisdictions` and never excepted by `exceptJurisdictions`. */
function checkOfficesWithoutJurisdiction({ offices, rules }: MistakeContext, add: Add): void {
  const using = rules.filter((r) => JURISDICTION_FIELDS.some((f) => r.raw[f] !== undefined));
  if (using.length === 0) return;
  const excepting = using.filter((r) => r.raw.exceptJurisdictions !== undefined).map(ruleName);
  for (const [code, o] of Object.entries(offices)) {
    if (!isObj(o) || o.jurisdiction !== undefined) continue;
    const consequence = excepting.length ? `; ${excepting.join(', ')} apply to it whatever country it is in` : '';
    add(
      'warning',
      ['offices', code],
      `office "${code}" has no "jurisdiction", but ${using.map(ruleName).join(', ')} target jurisdictions: no jurisdiction rule selects it${consequence}`,
    );
  }
}

const PAIRS = [
  ['offices', 'exceptOffices'],
  ['jurisdictions', 'exceptJurisdictions'],
  ['regions', 'exceptRegions'],
  ['groups', 'exceptGroups'],
  ['locations', 'exceptLocations'],
] as const;

/** A value both listed and excepted: the exception wins, which is rarely what was meant. */
function checkContradictions({ rules }: MistakeContext, add: Add): void {
  for (const r of rules) {
    for (const [field, except] of PAIRS) {
      const listed = strings(r.raw[field]) ?? [];
      strings(r.raw[except])?.forEach((value, k) => {
        if (listed.includes(value))
          add(
            'warning',
            ['rules', r.index, except, k],
            `"${value}" is both in "${field}" and in "${except}"; the exception wins, so the rule never applies to it`,
          );
      });
    }
  }
}

function subjectsOf(offices: Obj): Subject[] {
  return Object.entries(offices).map(([code, o]) => ({
    office: code,
    jurisdiction: isObj(o) ? str(o.jurisdiction) : undefined,
    regions: (isObj(o) ? strings(o.regions) : undefined) ?? [],
    groups: [],
  }));
}

/** A rule whose conditions select none of the policy's offices never applies (conditions are ANDed). */
function checkReachesNoOffice({ offices, rules }: MistakeContext, add: Add): void {
  const subjects = subjectsOf(offices);
  if (subjects.length === 0) return;
  for (const r of rules) {
    // An unknown office or a bad country code is already a finding of its own; do not pile a second on it.
    if ((r.targeting.offices ?? []).some((o) => !own(offices, o))) continue;
    if ((r.targeting.jurisdictions ?? []).some((j) => !isIsoCountryCode(j))) continue;
    if (Object.values(r.targeting).some((list) => list.length === 0)) continue; // an empty list is reported as such
    // Groups and locations depend on the employee and where the browser is, not on the office.
    const t = {
      ...r.targeting,
      groups: undefined,
      exceptGroups: undefined,
      locations: undefined,
      exceptLocations: undefined,
    };
    if (subjects.some((s) => ruleTargets(t, s))) {
      const groups = r.targeting.groups;
      if (groups && groups.length > 0 && groups.every((g) => (r.targeting.exceptGroups ?? []).includes(g))) {
        add(
          'warning',
          ['rules', r.index, 'exceptGroups'],
          `${ruleName(r)} excepts every group it targets, so it never applies`,
        );
      }
      continue;
    }
    const used = (
      ['offices', 'jurisdictions', 'regions', 'exceptOffices', 'exceptJurisdictions', 'exceptRegions'] as const
    )
      .filter((f) => r.targeting[f] !== undefined)
      .map((f) => `${f} ${JSON.stringify(r.targeting[f])}`);
    if (used.length === 0) continue;
    add(
      'warning',
      ['rules', r.index],
      `${ruleName(r)} applies to no office of the policy (${used.join(' and ')}; all conditions must hold), so it never applies`,
    );
  }
}

/** Managed `groups` are compared exactly: "Traders" and "traders" are two groups. */
function checkGroupSpellings({ rules }: MistakeContext, add: Add): void {
  const first = new Map<string, { spelling: string; rule: RuleView }>();
  for (const r of rules) {
    for (const field of ['groups', 'exceptGroups'] as const) {
      strings(r.raw[field])?.forEach((g, k) => {
        const key = g.trim().toLowerCase();
        const seen = first.get(key);
        if (!seen) first.set(key, { spelling: g, rule: r });
        else if (seen.spelling !== g) {
          add(
            'warning',
            ['rules', r.index, field, k],
            `group "${g}" differs from "${seen.spelling}" (${ruleName(seen.rule)}) only in case or spaces; groups are compared exactly, so they are two different groups`,
          );
        }
      });
    }
  }
}

/** The models a tool defines (id → definition): the policy's definition, or else the catalogue's. */
function toolModels(id: string, policyTools: Obj): Obj | undefined {
  const t = own(policyTools, id) ? policyTools[id] : undefined;
  if (isObj(t) && isObj(t.models)) return t.models;
  const c = own(CATALOGUE, id) ? CATALOGUE[id] : undefined;
  return c?.models as Obj | undefined;
}

/** True when a model definition gives the page something to recognise it by (see model-match.ts). */
function recognisable(def: unknown): boolean {
  const m = isObj(def) && isObj(def.match) ? def.match : undefined;
  if (!m) return false;
  const some = (x: unknown) => (strings(x) ?? []).some((s) => s !== '');
  return (isObj(m.query) && Object.keys(m.query).length > 0) || some(m.pathPrefixes) || some(m.text);
}

/** A model no tool of the rule defines is never recognised, so the rule never applies. */
function checkModels({ rules, policyTools }: MistakeContext, add: Add): void {
  for (const r of rules) {
    const models = strings(r.raw.models);
    if (!models) continue;
    if (models.length === 0) {
      add(
        'warning',
        ['rules', r.index, 'models'],
        `an empty "models" list matches no model, so ${ruleName(r)} never applies; remove the field to apply it to the whole tool`,
      );
      continue;
    }
    const defined = new Map<string, string[]>();
    const definitions = new Map<string, unknown[]>();
    for (const t of r.tools) {
      if (!own(policyTools, t) && !own(CATALOGUE, t)) continue; // unknown tools are reported on their own
      const models = toolModels(t, policyTools) ?? {};
      defined.set(t, Object.keys(models));
      for (const [m, def] of Object.entries(models)) definitions.set(m, [...(definitions.get(m) ?? []), def]);
    }
    if (defined.size === 0) continue;
    const all = [...new Set([...defined.values()].flat())];
    models.forEach((m, k) => {
      const keys = ['rules', r.index, 'models', k];
      if (all.includes(m)) {
        if (!definitions.get(m)!.some(recognisable)) {
          add(
            'error',
            keys,
            `model "${m}" has no "match" (query, pathPrefixes or text) in its tool's definition, so it is never recognised and ${ruleName(r)} never applies to it`,
          );
        }
        return;
      }
      if (all.length === 0) {
        add(
          'error',
          keys,
          `model "${m}": ${[...defined.keys()].map((t) => `"${t}"`).join(', ')} define${defined.size === 1 ? 's' : ''} no models, so this model is never recognised and ${ruleName(r)} never applies; add "models" to the tool with how to recognise each`,
        );
        return;
      }
      const known = [...defined].map(([t, ms]) => `${t}: ${ms.length ? ms.join(', ') : 'none'}`).join('; ');
      add(
        'error',
        keys,
        `model "${m}" is not defined by any tool of ${ruleName(r)} (${known})${didYouMean(m, all)}; an unknown model is never recognised`,
      );
    });
  }
}

/** True when `host` is `domain` or one of its subdomains (both normalised). */
function coveredBy(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`);
}

/** `replaceCatalogue` narrows a catalogue tool on purpose; name what it gives up. */
function checkReplaceCatalogue({ policyTools }: MistakeContext, add: Add): void {
  for (const [id, t] of Object.entries(policyTools)) {
    if (!isObj(t) || t.replaceCatalogue !== true) continue;
    const keys = ['tools', id, 'replaceCatalogue'];
    const entry = own(CATALOGUE, id) ? CATALOGUE[id] : undefined;
    if (!entry) {
      add(
        'warning',
        keys,
        `the built-in catalogue has no tool "${id}", so there is nothing to replace${didYouMean(id, Object.keys(CATALOGUE))}`,
      );
      continue;
    }
    const listed = strings(t.domains) ?? [];
    const mine = listed.map(normalizeHost).filter(Boolean);
    // A subdomain of a domain the tool still lists stays covered (domains match their subdomains).
    const dropped = droppedCatalogueDomains(id, { name: id, domains: listed, replaceCatalogue: true }).filter((d) => {
      const host = normalizeHost(d);
      return host !== '' && !mine.some((m) => coveredBy(host, m));
    });
    if (dropped.length > 0) {
      add(
        'warning',
        keys,
        `replaces the catalogue's "${id}" and drops ${quoteList(dropped)}: those hosts are no longer "${id}" (nor any tool), so no rule for "${id}" covers them; remove "replaceCatalogue" to keep them`,
      );
    }
  }
}

const LOCALIZED_FIELDS = ['title', 'reason', 'reference'] as const;

/** The languages a reader of `lang` may be shown, most specific first (`zh-HK` → `zh-Hant` → `zh`). */
function fallbacks(lang: string): string[] {
  const chain = [lang];
  if (/^zh-(HK|MO)$/i.test(lang)) chain.push('zh-Hant');
  const primary = lang.split('-')[0]!;
  if (primary !== lang) chain.push(primary);
  return chain;
}

/** A notice half translated shows readers of that language a mix of their language and English. */
function checkTranslations({ rules }: MistakeContext, add: Add): void {
  for (const r of rules) {
    const notice = isObj(r.raw.notice) ? r.raw.notice : undefined;
    if (!notice) continue;
    // A plain-string reference is an identifier ("memo CT-2026-014"), not text to translate.
    const fields = LOCALIZED_FIELDS.filter(
      (f) => isObj(notice[f]) || (typeof notice[f] === 'string' && f !== 'reference'),
    );
    const langs = new Set<string>();
    for (const f of fields)
      if (isObj(notice[f])) for (const l of Object.keys(notice[f] as Obj)) if (l !== 'en') langs.add(l);
    for (const lang of langs) {
      const has = (f: (typeof fields)[number]) => {
        const text = notice[f];
        return isObj(text) && fallbacks(lang).some((l) => typeof text[l] === 'string');
      };
      const missing = fields.filter((f) => !has(f));
      if (missing.length === 0) continue;
      const done = fields.filter(has);
      add(
        'warning',
        ['rules', r.index, 'notice'],
        `the notice is translated into "${lang}" for ${done.join(', ')} only: ${missing.join(', ')} will show in English to "${lang}" readers`,
      );
    }
  }
}

interface ToolClaim {
  id: string;
  fromPolicy: boolean;
  /** Normalised path prefixes, or null for the whole host. */
  prefixes: string[] | null;
  /** Where to report it: the domain in the policy tool's `domains`, or the tool when the domain is the catalogue's. */
  keys: Array<string | number>;
}

/** Where two claims on one host overlap: `null` when they do not, else a human description. */
function pathOverlap(a: ToolClaim, b: ToolClaim): string | null {
  if (!a.prefixes && !b.prefixes) return 'every path';
  if (!a.prefixes || !b.prefixes) return `paths ${(a.prefixes ?? b.prefixes)!.join(', ')}`;
  const shared: string[] = [];
  for (const p of a.prefixes) {
    for (const q of b.prefixes) {
      if (longestPrefix(p, [q]) >= 0) shared.push(p);
      else if (longestPrefix(q, [p]) >= 0) shared.push(q);
    }
  }
  return shared.length ? `paths ${[...new Set(shared)].join(', ')}` : null;
}

/**
 * Two tools claiming one URL: whichever rule comes first for either decides, which is rarely what
 * the author of the second tool expected. Pairs of catalogue tools are the catalogue's business.
 */
function checkOverlappingTools({ policyTools, rules }: MistakeContext, add: Add): void {
  const rulesFor = (a: string, b: string) => {
    const naming = rules.filter((r) => r.tools.includes(a) || r.tools.includes(b)).map((r) => ruleName(r));
    return naming.length ? `; rules that decide there, first match wins: ${naming.join(', ')}` : '';
  };
  const byHost = new Map<string, ToolClaim[]>();
  const claim = (
    id: string,
    domains: readonly unknown[],
    paths: unknown,
    fromPolicy: boolean,
    keysOf: (index: number) => ToolClaim['keys'],
  ) => {
    const list = strings(paths);
    const prefixes = list && list.length > 0 ? normalizePrefixes(list) : null;
    domains.forEach((d, index) => {
      const host = typeof d === 'string' ? normalizeHost(d) : '';
      if (!host) return;
      const claims = byHost.get(host) ?? [];
      if (!claims.some((c) => c.id === id)) claims.push({ id, fromPolicy, prefixes, keys: keysOf(index) });
      byHost.set(host, claims);
    });
  };
  for (const [id, t] of Object.entries(policyTools)) {
    if (!isObj(t) || !Array.isArray(t.domains)) continue;
    const entry = own(CATALOGUE, id) ? CATALOGUE[id] : undefined;
    // A policy tool keeps its catalogue entry's domains unless it replaces them; its own domains take its paths, or the entry's.
    const paths = t.paths ?? entry?.paths;
    claim(id, t.domains, paths, true, (index) => ['tools', id, 'domains', index]);
    // The catalogue's domains keep the catalogue's scope, whatever paths the policy gives its own.
    if (entry && t.replaceCatalogue !== true) claim(id, entry.domains, entry.paths, true, () => ['tools', id]);
  }
  for (const [id, t] of Object.entries(CATALOGUE))
    if (!own(policyTools, id)) claim(id, t.domains, t.paths, false, () => ['tools', id]);
  for (const [host, claims] of byHost) {
    for (let i = 0; i < claims.length; i++) {
      for (let j = i + 1; j < claims.length; j++) {
        const [a, b] = [claims[i]!, claims[j]!];
        if (!a.fromPolicy && !b.fromPolicy) continue;
        const where = pathOverlap(a, b);
        if (where === null) continue;
        // Report it on a policy tool's domain: that is the line the author can change.
        const at = b.fromPolicy ? b : a;
        const other = at === b ? a : b;
        add(
          'warning',
          at.keys,
          `tools "${a.id}" and "${b.id}" both claim ${host} (${where})${other.fromPolicy ? '' : ` ("${other.id}" is a catalogue tool)`}: a URL there belongs to both, and the first rule that targets either decides for both${rulesFor(a.id, b.id)}; give one tool other paths or merge them`,
        );
      }
    }
  }
}

/** A window that opens after the policy expires never opens under this policy. */
function checkWindowsAfterExpiry({ doc, rules }: MistakeContext, add: Add): void {
  const expires = typeof doc.expires === 'string' ? Date.parse(doc.expires) : NaN;
  if (Number.isNaN(expires)) return;
  for (const r of rules) {
    if (r.from !== undefined && r.from >= expires) {
      add(
        'warning',
        ['rules', r.index, 'from'],
        `${ruleName(r)} starts at ${String(r.raw.from)}, after the policy expires (${String(doc.expires)}): it never applies under this policy`,
      );
    }
  }
}

/**
 * A notice "effective" in the future on a rule without a matching `from`: the author expects the
 * rule to start then, but it applies as soon as the policy is published (or starts elsewhen).
 */
function checkEffectiveDates({ rules, now }: MistakeContext, add: Add): void {
  const DAY = 86_400_000;
  for (const r of rules) {
    const notice = isObj(r.raw.notice) ? r.raw.notice : undefined;
    const effective = typeof notice?.effective === 'string' ? Date.parse(notice.effective) : NaN;
    if (Number.isNaN(effective) || effective <= now) continue;
    const keys = ['rules', r.index, 'notice', 'effective'];
    if (r.from === undefined) {
      add(
        'warning',
        keys,
        `the notice says effective ${String(notice!.effective)}, but ${ruleName(r)} has no "from": it applies as soon as the policy is published; add "from" to start it then`,
      );
    } else if (Math.abs(r.from - effective) >= DAY) {
      add(
        'warning',
        keys,
        `the notice says effective ${String(notice!.effective)}, but ${ruleName(r)} starts at ${String(r.raw.from)} ("from")`,
      );
    }
  }
}

/** Offering the restricted tool as its own alternative is a copy-paste slip. */
function checkSelfAlternatives({ rules }: MistakeContext, add: Add): void {
  for (const r of rules) {
    const notice = isObj(r.raw.notice) ? r.raw.notice : undefined;
    strings(notice?.alternatives)?.forEach((alt, k) => {
      if (r.tools.includes(alt) && r.action !== 'allow') {
        add(
          'warning',
          ['rules', r.index, 'notice', 'alternatives', k],
          `"${alt}" is offered as an alternative to itself: ${ruleName(r)} restricts it`,
        );
      }
    });
  }
}
