/**
 * Which model of a tool is in use on a vendor page (docs/beyond-domains.md#model-level-rules): pure, so the
 * content script stays a thin observer and the matching is unit-tested.
 */
import type { Action } from '../policy/policy-schema.ts';

export interface ModelMatch {
  /** Query parameter → value prefix (`{ "model": "o3" }` matches `?model=o3-pro`). */
  query?: Record<string, string>;
  pathPrefixes?: string[];
  /** Visible text of the model picker, matched case-insensitively as a substring. */
  text?: string[];
}

export interface ModelDef {
  name: string;
  match?: ModelMatch;
}

/** A model-level rule as the content script is told it. */
export interface ModelRule {
  id: string;
  action: Action;
  models: string[];
  title: string;
}

/**
 * The models whose URL or text markers match. URL markers first: when the URL names a model it is
 * what the next request uses, whatever the picker still shows.
 */
export function modelsInUse(models: Readonly<Record<string, ModelDef>>, url: string, pageText: string): string[] {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return [];
  }
  const path = u.pathname.toLowerCase();
  const byUrl: string[] = [];
  const byText: string[] = [];
  const text = pageText.toLowerCase();
  for (const [id, def] of Object.entries(models)) {
    const m = def.match;
    if (!m) continue;
    const q = m.query ? Object.entries(m.query) : [];
    if (
      q.length &&
      q.every(([k, prefix]) => (u.searchParams.get(k) ?? null)?.toLowerCase().startsWith(prefix.toLowerCase()))
    )
      byUrl.push(id);
    else if (m.pathPrefixes?.some((p) => p && path.startsWith(p.toLowerCase()))) byUrl.push(id);
    else if (m.text?.some((t) => t && text.includes(t.toLowerCase()))) byText.push(id);
  }
  return byUrl.length ? byUrl : byText;
}

/** The first rule (policy order) naming one of the models in use, with the model it matched. */
export function modelRuleFor(
  rules: readonly ModelRule[],
  inUse: readonly string[],
): { rule: ModelRule; model: string } | null {
  for (const rule of rules) {
    const model = inUse.find((m) => rule.models.includes(m));
    if (model !== undefined) return { rule, model };
  }
  return null;
}
