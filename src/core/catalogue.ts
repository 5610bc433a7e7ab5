/** The built-in catalogue of AI tools that policies may reference by id without redefining them. */
import type { Tool } from './policy-schema.ts';
import data from './catalogue.json' with { type: 'json' };

/** Date the catalogue was last reviewed (YYYY-MM-DD). */
export const CATALOGUE_UPDATED: string = data.updated;
export const CATALOGUE: Readonly<Record<string, Tool>> = data.tools as Record<string, Tool>;
