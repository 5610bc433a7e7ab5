/**
 * Tool attributes (vendor, the vendor's country, category, enterprise offering, training on
 * consumer inputs, whose models a tool serves) and `toolsWhere`, the rule selector built on them.
 * Pure: no browser API.
 *
 * A selector `{ "vendorCountry": ["CN", "RU"], "category": ["chat"] }` selects a tool when every
 * attribute it names has one of the listed values (`modelVendors`: when the tool serves a model of
 * one of the listed vendors). A tool whose attribute is unknown is NOT selected: `lint` names such
 * tools, so that a rule never quietly reaches fewer tools than its author thinks.
 */
import type { Tool } from '../policy/policy-schema.ts';

/** Categories of AI tool, as `category` and `toolsWhere.category` name them. */
export const TOOL_CATEGORIES = [
  'chat',
  'search',
  'coding',
  'image',
  'video',
  'voice',
  'meeting',
  'writing',
  'agent',
  'model-api',
  'aggregator',
] as const;

/** The attributes `toolsWhere` may select on, in the order a block page names the deciding one. */
export const WHERE_ATTRIBUTES = [
  'vendorCountry',
  'vendor',
  'category',
  'modelVendors',
  'trainsOnInputs',
  'enterprise',
] as const;
export type WhereAttribute = (typeof WHERE_ATTRIBUTES)[number];

/** A rule's attribute selector: attribute → accepted values (any of them). */
export type ToolsWhere = Partial<{
  vendorCountry: string[];
  vendor: string[];
  category: string[];
  modelVendors: string[];
  trainsOnInputs: boolean[];
  enterprise: boolean[];
}>;

/** The attribute (and the tool's value of it) that put a tool under a rule, for the block page. */
export interface SelectedBy {
  attribute: WhereAttribute;
  value: string | boolean;
}

/** The attributes of a tool that selectors read, with `fallback` (the catalogue entry) filling gaps. */
export type ToolAttributes = Pick<
  Tool,
  'vendor' | 'vendorCountry' | 'category' | 'modelVendors' | 'trainsOnInputs' | 'enterprise'
>;

/**
 * A policy tool that redefines a catalogue id keeps the catalogue's attributes it does not state
 * itself: leaving `vendorCountry` out of an override must not take the tool out of a
 * `toolsWhere: {vendorCountry: […]}` rule.
 */
export function mergeAttributes(tool: ToolAttributes, fallback: ToolAttributes | undefined): ToolAttributes {
  if (!fallback) return tool;
  return {
    vendor: tool.vendor ?? fallback.vendor,
    vendorCountry: tool.vendorCountry ?? fallback.vendorCountry,
    category: tool.category ?? fallback.category,
    modelVendors: tool.modelVendors ?? fallback.modelVendors,
    trainsOnInputs: tool.trainsOnInputs ?? fallback.trainsOnInputs,
    enterprise: tool.enterprise ?? fallback.enterprise,
  };
}

/** The tool's value(s) of one attribute; undefined when unknown. */
export function attributeValue(
  tool: ToolAttributes,
  attribute: WhereAttribute,
): string | boolean | readonly string[] | undefined {
  return tool[attribute];
}

/**
 * Which attribute selects the tool, or null when the selector does not select it. An empty
 * selector selects nothing (the schema refuses one; this is the safe reading all the same).
 */
export function matchWhere(where: ToolsWhere, tool: ToolAttributes): SelectedBy | null {
  let first: SelectedBy | null = null;
  for (const attribute of WHERE_ATTRIBUTES) {
    const wanted = where[attribute] as ReadonlyArray<string | boolean> | undefined;
    if (!wanted) continue;
    const value = attributeValue(tool, attribute);
    if (value === undefined) return null;
    let hit: string | boolean | undefined;
    if (Array.isArray(value)) hit = value.find((x) => wanted.includes(x));
    else if (wanted.includes(value as string | boolean)) hit = value as string | boolean;
    if (hit === undefined) return null;
    first ??= { attribute, value: hit };
  }
  return first;
}

/** The selector's attributes that the tool has no value for (it is then not selected). */
export function unknownAttributes(where: ToolsWhere, tool: ToolAttributes): WhereAttribute[] {
  return WHERE_ATTRIBUTES.filter((a) => where[a] !== undefined && attributeValue(tool, a) === undefined);
}

/** "the vendor is based in CN" — the words a block page and `explain` use for a deciding attribute. */
export function describeSelectedBy(s: SelectedBy): string {
  switch (s.attribute) {
    case 'vendorCountry':
      return `the vendor is based in ${s.value}`;
    case 'vendor':
      return `the vendor is ${s.value}`;
    case 'category':
      return `the tool is in the category "${s.value}"`;
    case 'modelVendors':
      return `the tool gives access to ${s.value}'s models`;
    case 'trainsOnInputs':
      return s.value ? 'consumer use trains on inputs by default' : 'consumer use does not train on inputs by default';
    case 'enterprise':
      return s.value ? 'the vendor has an enterprise offering' : 'the vendor has no enterprise offering';
  }
}
