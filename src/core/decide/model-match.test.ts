import { describe, expect, it } from 'vitest';
import { modelRuleFor, modelsInUse, type ModelDef, type ModelRule } from './model-match.ts';

const MODELS: Record<string, ModelDef> = {
  o3: { name: 'o3', match: { query: { model: 'o3' }, text: ['ChatGPT o3'] } },
  'gpt-4o': { name: 'GPT-4o', match: { query: { model: 'gpt-4o' }, text: ['ChatGPT 4o'] } },
  research: { name: 'Deep research', match: { pathPrefixes: ['/deep-research'] } },
  bare: { name: 'No markers' },
};

describe('modelsInUse', () => {
  it('matches query value prefixes, case-insensitively', () => {
    expect(modelsInUse(MODELS, 'https://chatgpt.com/?model=o3-pro', '')).toEqual(['o3']);
    expect(modelsInUse(MODELS, 'https://chatgpt.com/?model=GPT-4o', '')).toEqual(['gpt-4o']);
    expect(modelsInUse(MODELS, 'https://chatgpt.com/?model=x-o3', '')).toEqual([]);
  });

  it('matches path prefixes', () => {
    expect(modelsInUse(MODELS, 'https://chatgpt.com/deep-research/1', '')).toEqual(['research']);
    expect(modelsInUse(MODELS, 'https://chatgpt.com/c/deep-research', '')).toEqual([]);
  });

  it('falls back to picker text only when the URL names no model', () => {
    expect(modelsInUse(MODELS, 'https://chatgpt.com/', 'Model: chatgpt O3 ▾')).toEqual(['o3']);
    expect(modelsInUse(MODELS, 'https://chatgpt.com/?model=gpt-4o', 'ChatGPT o3')).toEqual(['gpt-4o']);
    expect(modelsInUse(MODELS, 'not a url', 'ChatGPT o3')).toEqual([]);
  });
});

describe('modelRuleFor', () => {
  const rules: ModelRule[] = [
    { id: 'WARN-4O', action: 'warn', models: ['gpt-4o'], title: 'Check' },
    { id: 'BLOCK-O3', action: 'block', models: ['o3', 'research'], title: 'No' },
  ];
  it('takes the first rule in policy order naming a model in use', () => {
    expect(modelRuleFor(rules, ['o3'])).toEqual({ rule: rules[1], model: 'o3' });
    expect(modelRuleFor(rules, ['o3', 'gpt-4o'])).toEqual({ rule: rules[0], model: 'gpt-4o' });
    expect(modelRuleFor(rules, [])).toBeNull();
  });
});
