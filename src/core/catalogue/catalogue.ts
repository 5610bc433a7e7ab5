/**
 * The built-in catalogue of AI tools that policies may reference by id without redefining them,
 * and that `toolsWhere` rules select from by attribute. The data file keeps, for every domain and
 * attribute, the source that confirms it and the date it was checked; the extension's build strips
 * those (build.mjs), so the shipped entries carry only what enforcement reads.
 */
import type { Tool } from '../policy/policy-schema.ts';
import data from './catalogue.json' with { type: 'json' };

/** A source of a catalogue entry: what it confirms (`domain:<d>` or an attribute name). */
export interface CatalogueSource {
  url: string;
  /** YYYY-MM-DD */
  checked: string;
  supports: string[];
}

/** An entry as the data file holds it (sources are absent in the extension's bundle). */
export type CatalogueEntry = Tool & { sources?: CatalogueSource[] };

/** Date the catalogue was last reviewed (YYYY-MM-DD). */
export const CATALOGUE_UPDATED: string = data.updated;
export const CATALOGUE: Readonly<Record<string, CatalogueEntry>> = data.tools as Record<string, CatalogueEntry>;
