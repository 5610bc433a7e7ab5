/** Small presentational pieces shared by the popup and the block/warn pages. */
import { Fragment, type ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { ToolRef } from '../core/decide/explain.ts';
import type { Translate } from './i18n.ts';
import type { Tone } from './status-text.ts';
import { contactHref, isWebUrl } from './url.ts';

/** The product mark (same shield as the toolbar icon); decorative, the name is written beside it. */
export function ShieldMark({ class: cls }: { class?: string }) {
  return (
    <svg class={cls} viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <path d="M16 2 4 6.5v8.3c0 7.4 5 13.4 12 15.2 7-1.8 12-7.8 12-15.2V6.5z" fill="#fff" />
      <path d="M16 4.2 6 8v6.8c0 6.2 4.1 11.3 10 13 5.9-1.7 10-6.8 10-13V8z" fill="#1f4fd1" />
      <g fill="none" stroke="#fff" stroke-width="1.6">
        <circle cx="16" cy="15" r="6.2" />
        <ellipse cx="16" cy="15" rx="2.6" ry="6.2" />
        <path d="M9.8 15h12.4" />
      </g>
    </svg>
  );
}

/** A shape per tone, so the state is not told by colour alone. */
export function ToneIcon({ tone }: { tone: Tone }) {
  const shape =
    tone === 'error' ? (
      <path d="M8 1a7 7 0 1 0 0 14A7 7 0 0 0 8 1zm-3.5 6h7v2h-7z" />
    ) : tone === 'warn' ? (
      <path d="M8 1 .5 14.5h15zM7 6h2v4.5H7zm0 5.5h2v2H7z" />
    ) : tone === 'ok' ? (
      <path d="M8 1a7 7 0 1 0 0 14A7 7 0 0 0 8 1zm-1 10.4L3.8 8.2l1.4-1.4L7 8.6l3.8-3.8 1.4 1.4z" />
    ) : (
      <path d="M8 1a7 7 0 1 0 0 14A7 7 0 0 0 8 1zm-1 3h2v2H7zm0 3h2v5H7z" />
    );
  return (
    <svg class="tone-icon" viewBox="0 0 16 16" fill="currentColor" aria-hidden="true" focusable="false">
      {shape}
    </svg>
  );
}

export function Chip({ tone, children, testid }: { tone: Tone; children: ComponentChildren; testid?: string }) {
  return (
    <span class="chip" data-tone={tone} data-testid={testid}>
      <ToneIcon tone={tone} />
      <span>{children}</span>
    </span>
  );
}

export function Callout({ tone, children }: { tone: Tone; children: ComponentChildren }) {
  return (
    <div class="callout" data-tone={tone}>
      <ToneIcon tone={tone} />
      <div>{children}</div>
    </div>
  );
}

/** Tools as links where the policy gives an http(s) URL, as plain names otherwise. */
export function ToolList(props: { tools: ToolRef[]; testid?: string; empty: string; newTab?: boolean }) {
  const { tools, testid, empty, newTab } = props;
  return (
    <div data-testid={testid}>
      {tools.length ? (
        <ul class="tools">
          {tools.map((tool) => (
            <li key={tool.id}>
              {isWebUrl(tool.url) ? (
                <a class="tool" href={tool.url ?? undefined} target={newTab ? '_blank' : undefined} rel="noopener">
                  <span>{tool.name}</span>
                  {tool.vendor ? <small>{tool.vendor}</small> : null}
                </a>
              ) : (
                <span class="tool">
                  <span>{tool.name}</span>
                  {tool.vendor ? <small>{tool.vendor}</small> : null}
                </span>
              )}
            </li>
          ))}
        </ul>
      ) : (
        <p>{empty}</p>
      )}
    </div>
  );
}

/** A contact: mailto or web link when it is one, text otherwise. */
export function Contact({ contact, fallback, testid }: { contact: string | null; fallback: string; testid?: string }) {
  const href = contact ? contactHref(contact) : null;
  if (!contact) return <span data-testid={testid}>{fallback}</span>;
  return href ? (
    <a href={href} data-testid={testid}>
      {contact}
    </a>
  ) : (
    <span data-testid={testid}>{contact}</span>
  );
}

export interface Fact {
  label: string;
  value: ComponentChildren;
  testid?: string;
  lang?: string;
  mono?: boolean;
}

export function Facts({ facts }: { facts: Fact[] }) {
  return (
    <dl class="facts">
      {facts.map((f) => (
        <Fragment key={f.label}>
          <dt>{f.label}</dt>
          <dd data-testid={f.testid} lang={f.lang} class={f.mono ? 'mono' : undefined}>
            {f.value}
          </dd>
        </Fragment>
      ))}
    </dl>
  );
}

/**
 * "Copy details for the help desk", and the same text behind a disclosure: the technical detail
 * (refusal messages, managed-key errors, rule ids, fingerprints) lives here, in English, and not in
 * the employee's view.
 */
export function HelpDesk({ text, t }: { text: () => string; t: Translate }) {
  const [result, setResult] = useState<'copied' | 'failed' | null>(null);
  const [open, setOpen] = useState(false);
  async function copy() {
    try {
      await navigator.clipboard.writeText(text());
      setResult('copied');
    } catch {
      // Clipboard access can be refused (page not focused, policy): let the employee copy by hand.
      setResult('failed');
      setOpen(true);
    }
  }
  return (
    <div class="copy">
      <button type="button" class="button button--primary" onClick={copy} data-testid="copy-details">
        {t('copyDetails')}
      </button>
      <p role="status" class="copy__result">
        {result === 'copied' ? t('copied') : result === 'failed' ? t('copyFailed') : ''}
      </p>
      <details
        class="help-desk"
        data-testid="help-desk-details"
        open={open}
        onToggle={(e) => setOpen((e.currentTarget as HTMLDetailsElement).open)}
      >
        <summary>{t('helpDeskDetails')}</summary>
        <pre class="help-desk__text mono" lang="en">
          {text()}
        </pre>
      </details>
    </div>
  );
}

/** Marker for `withSlot`: a translated sentence with a link in the middle ("Tell $1 and …"). */
export const SLOT = '\u0000';

/** Render `text` with `node` where SLOT stands, so word order stays the translator's. */
export function withSlot(text: string, node: ComponentChildren): ComponentChildren {
  const [before, after] = text.split(SLOT, 2);
  return after === undefined ? text : [before, node, after];
}

/** A grey bar of a fixed size standing in for text that is still loading. */
export function Bar({ w, h = '1rem', mt }: { w: string; h?: string; mt?: string }) {
  return <span class="sk" style={{ inlineSize: w, blockSize: h, marginBlockStart: mt }} />;
}
