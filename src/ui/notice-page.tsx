/**
 * The block and warn pages: one component, because a policy can change between the redirect and
 * the moment the page asks the background. The page shows what is true *now*: a warn page whose
 * rule became a block shows the block (no proceed), and either page offers to reopen an address
 * that is no longer restricted.
 */
import { render } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { Explanation } from '../core/decide/explain.ts';
import type { Status } from '../core/status/status.ts';
import type { SelectedBy } from '../core/catalogue/tool-attributes.ts';
import { policyInForce } from '../core/policy/policy-in-force.ts';
import { applyDocumentLanguage, createI18n, loadI18n, type I18n } from './i18n.ts';
import { browser, extensionVersion, packageUrl, sendRequest, uiLanguages } from '../platform/browser.ts';
import { hostOfUrl } from '../core/catalogue/hosts.ts';
import {
  explainFromSnapshot,
  NOTICE_SNAPSHOT_KEY,
  shardKey,
  shardOf,
  type NoticeSnapshotMeta,
  type NoticeSnapshotShard,
} from '../core/decide/notice-snapshot.ts';
import {
  describeDecidingLocation,
  describePolicyState,
  noPolicyCauses,
  officeLabel,
  pickLocalized,
  policyContact,
  type Tone,
} from './status-text.ts';
import { helpDeskSummary } from './help-desk.ts';
import { displayHost, explainedUrl } from './url.ts';
import { Bar, Callout, Contact, Facts, HelpDesk, ShieldMark, SLOT, ToolList, withSlot, type Fact } from './ui.tsx';

export type PageKind = 'block' | 'warn';
type Variant = 'block' | 'warn' | 'fail-closed' | 'changed';

type State =
  | { phase: 'loading' }
  | { phase: 'failed'; i18n: I18n; message: string }
  | { phase: 'ready'; i18n: I18n; url: string; explanation: Explanation; status: Status };

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** What to show for this explanation on this page. */
export function chooseVariant(page: PageKind, ex: Explanation): Variant {
  if (ex.basis === 'fail-closed') return 'fail-closed';
  if (ex.action === 'block') return 'block';
  if (ex.action === 'warn' && page === 'warn') return 'warn';
  return 'changed';
}

const VARIANT_TONE: Record<Variant, Tone> = { block: 'error', warn: 'warn', 'fail-closed': 'error', changed: 'info' };

function Band({ tone, kind }: { tone: Tone | 'neutral'; kind: string | null }) {
  return (
    <header class="band" data-tone={tone}>
      <ShieldMark class="band__mark" />
      <div class="band__text">
        <span class="band__product">AI Geofence</span>
        <span class="band__kind">{kind ?? <Bar w="12rem" h="0.875rem" />}</span>
      </div>
    </header>
  );
}

function Skeleton({ page }: { page: PageKind }) {
  return (
    <>
      <Band tone={page === 'block' ? 'error' : 'warn'} kind={null} />
      <main class="page" aria-busy="true">
        <div class="notice-head">
          <Bar w="70%" h="2rem" />
          <Bar w="100%" mt="0.9rem" />
          <Bar w="85%" mt="0.5rem" />
        </div>
        <div class="card">
          <Bar w="8rem" h="1.1rem" />
          <Bar w="12rem" h="2.75rem" mt="0.75rem" />
        </div>
        <div class="card">
          <Bar w="6rem" h="1.1rem" />
          {[0, 1, 2, 3, 4, 5].map((i) => (
            <Bar key={i} w={`${60 + ((i * 13) % 35)}%`} mt="0.7rem" />
          ))}
        </div>
      </main>
    </>
  );
}

function Footer({ i18n }: { i18n: I18n }) {
  return (
    <footer class="page-footer">
      <p>{i18n.t('footerNote')}</p>
      <p>{i18n.t('version', extensionVersion())}</p>
    </footer>
  );
}

function Acknowledge({ i18n, url, ex }: { i18n: I18n; url: string; ex: Explanation }) {
  const { t } = i18n;
  const [justification, setJustification] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const textarea = useRef<HTMLTextAreaElement>(null);
  // Another site could frame this web-accessible page and trick a click (clickjacking).
  const framed = window.top !== window.self;
  const until = ex.acknowledgedUntil && Date.parse(ex.acknowledgedUntil) > Date.now() ? ex.acknowledgedUntil : null;

  async function onSubmit(event: Event) {
    event.preventDefault();
    if (busy || framed) return;
    const reason = justification.trim();
    if (ex.requireJustification && reason.length < 3) {
      setError(t('ackJustificationMissing'));
      textarea.current?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const res = await sendRequest({ type: 'proceed', url, ...(reason ? { justification: reason } : {}) });
      if (res.ok) {
        location.replace(url);
        return;
      }
      setError(t('ackFailed', res.error));
    } catch (e) {
      setError(t('ackFailed', errorText(e)));
    }
    setBusy(false);
  }

  return (
    <section class="card ack" aria-labelledby="ack-heading">
      <h2 id="ack-heading">{t('ackHeading')}</h2>
      {until ? <p>{t('ackUntil', i18n.when(until))}</p> : null}
      <p>{t('ackText', i18n.minutes(ex.allowForMinutes ?? 60))}</p>
      <form onSubmit={onSubmit} noValidate>
        {ex.requireJustification ? (
          <div class="field">
            <label for="justification">{t('ackJustification')}</label>
            <textarea
              id="justification"
              ref={textarea}
              rows={3}
              minLength={3}
              maxLength={1000}
              required
              aria-required="true"
              aria-invalid={error === t('ackJustificationMissing') ? 'true' : undefined}
              aria-describedby="justification-hint ack-error"
              value={justification}
              onInput={(e) => setJustification((e.currentTarget as HTMLTextAreaElement).value)}
            />
            <p id="justification-hint" class="hint">
              {t('ackJustificationHint')}
            </p>
          </div>
        ) : null}
        <div id="ack-error" role="alert" class="form-error">
          {framed ? t('ackFramed') : error}
        </div>
        <button
          type="submit"
          class="button button--warn"
          data-testid="proceed"
          disabled={busy || framed}
          aria-busy={busy}
        >
          {busy ? t('ackProceeding') : t('ackProceed', displayHost(url))}
        </button>
      </form>
    </section>
  );
}

/** "I have read this notice" (docs/compliance.md#versioned-acknowledgements) for a block rule that asks for it (evidence, not permission). */
function AcknowledgeNotice({ i18n, ack }: { i18n: I18n; ack: NonNullable<Explanation['acknowledgement']> }) {
  const { t } = i18n;
  const [doneAt, setDoneAt] = useState<string | null>(ack.required ? null : ack.acknowledgedAt);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function onClick() {
    setBusy(true);
    setError(null);
    try {
      const res = await sendRequest({ type: 'acknowledge-notice', ruleId: ack.ruleId, version: ack.version });
      if (res.ok) setDoneAt(res.acknowledgedAt);
      else setError(t('noticeAckFailed', res.error));
    } catch (e) {
      setError(t('noticeAckFailed', errorText(e)));
    }
    setBusy(false);
  }

  if (doneAt) return <p data-testid="acknowledged">{t('noticeAckDone', i18n.when(doneAt))}</p>;
  return (
    <section class="card ack" aria-labelledby="notice-ack-heading">
      <p id="notice-ack-heading">{t('noticeAckText')}</p>
      <div role="alert" class="form-error">
        {error}
      </div>
      <button type="button" class="button" data-testid="acknowledge" disabled={busy} aria-busy={busy} onClick={onClick}>
        {t('noticeAckButton')}
      </button>
    </section>
  );
}

/** "the vendor is based in China (CN)": the attribute that put the tool under the rule, in the page's language. */
export function describeSelection(s: SelectedBy, i18n: I18n): string {
  const { t } = i18n;
  switch (s.attribute) {
    case 'vendorCountry': {
      let country = String(s.value);
      try {
        country = `${new Intl.DisplayNames([...i18n.languages, 'en'], { type: 'region' }).of(country) ?? country} (${country})`;
      } catch {
        // an engine without region names: the code alone
      }
      return t('whyVendorCountry', country);
    }
    case 'vendor':
      return t('whyVendor', String(s.value));
    case 'category':
      return t('whyCategory', String(s.value));
    case 'modelVendors':
      return t('whyModelVendors', String(s.value));
    case 'trainsOnInputs':
      return t(s.value ? 'whyTrainsOnInputs' : 'whyNoTraining');
    case 'enterprise':
      return t(s.value ? 'whyEnterprise' : 'whyNoEnterprise');
  }
}

function NoticeView({ page, state }: { page: PageKind; state: Extract<State, { phase: 'ready' }> }) {
  const { i18n, url, explanation: ex, status } = state;
  const { t, languages } = i18n;
  const variant = chooseVariant(page, ex);
  const toolName = ex.tool?.name ?? t('unknownTool');
  const policyState = describePolicyState(status, i18n);

  const picked = (text: Parameters<typeof pickLocalized>[0]) => pickLocalized(text, languages);
  const title =
    variant === 'fail-closed'
      ? { text: t('failClosedTitle'), lang: undefined }
      : picked(ex.notice?.title).text
        ? picked(ex.notice?.title)
        : { text: t(variant === 'warn' ? 'defaultWarnTitle' : 'defaultBlockTitle', toolName), lang: undefined };
  const reason = picked(ex.notice?.reason);
  const decidedBy = describeDecidingLocation(ex, i18n);
  const reference = picked(ex.notice?.reference);
  const contact = ex.contact ?? ex.notice?.contact ?? status.policy?.contact ?? null;
  const inForce = policyInForce(status);
  const kind = {
    block: t('kindBlock'),
    warn: t('kindWarn'),
    'fail-closed': t('kindFailClosed'),
    changed: t('kindChanged'),
  }[variant];

  useEffect(() => {
    document.title = `${title.text} · AI Geofence`;
  }, [title.text]);

  const facts: Fact[] = [
    {
      label: t('labelTool'),
      value: ex.tool ? (ex.tool.vendor ? `${ex.tool.name} (${ex.tool.vendor})` : ex.tool.name) : t('notGiven'),
    },
    // The rule id and the fail mode are configuration words: they are in the help-desk details.
    {
      label: t('labelReference'),
      value: variant === 'fail-closed' ? t('failClosedReference') : reference.text || t('notGiven'),
      lang: reference.lang,
      testid: 'notice-reference',
    },
    ...(ex.notice?.effective ? [{ label: t('labelEffective'), value: i18n.when(ex.notice.effective) }] : []),
    { label: t('labelIssuer'), value: ex.issuer ?? status.policy?.issuer ?? t('notGiven') },
    { label: t('labelAddress'), value: url, mono: true },
    {
      label: t('labelOffice'),
      value: ex.office ? officeLabel(ex.office, languages) : (status.config?.office ?? t('notGiven')),
      testid: 'office-name',
    },
    {
      label: t('labelSerial'),
      // While a newer verified policy's rules are installing (or were refused), the serial in force.
      value: String((inForce.pending ? inForce.serial : (ex.policySerial ?? status.policy?.serial)) ?? t('notGiven')),
      testid: 'policy-serial',
    },
    {
      label: t('labelPolicyStatus'),
      value: (
        <>
          <strong>{policyState.headline}</strong>
          {policyState.lines.map((line) => (
            <span class="fact-line" key={line}>
              {line}
            </span>
          ))}
        </>
      ),
      testid: 'policy-status',
    },
  ];

  return (
    <>
      <Band tone={VARIANT_TONE[variant]} kind={kind} />
      <main class="page" data-variant={variant}>
        <div class="notice-head">
          <h1 data-testid="notice-title" lang={title.lang}>
            {title.text}
          </h1>
          {variant === 'fail-closed' ? (
            <div data-testid="notice-reason" class="lede">
              <p>{t('failClosedWhat')}</p>
              {noPolicyCauses(status, i18n).map((cause) => (
                <p key={cause}>{cause}</p>
              ))}
              <p>
                <strong>{t('failClosedNotYou')}</strong>
              </p>
            </div>
          ) : (
            <p data-testid="notice-reason" class="lede" lang={reason.lang}>
              {reason.text || t('defaultReason')}
            </p>
          )}
          {ex.selectedBy ? (
            <p data-testid="notice-selected-by">
              {t(variant === 'block' ? 'selectedByBlock' : 'selectedByOther', describeSelection(ex.selectedBy, i18n))}
            </p>
          ) : null}
          {ex.proxiedHost ? <p data-testid="notice-proxied">{t('proxiedHost', ex.proxiedHost)}</p> : null}
        </div>

        {variant === 'changed' ? (
          <Callout tone="info">
            <p>{t('changedText')}</p>
            <p>
              <a class="button" href={url}>
                {t('openAddress', displayHost(url))}
              </a>
            </p>
          </Callout>
        ) : null}

        {decidedBy ? (
          <Callout tone="info">
            <p data-testid="notice-location">{decidedBy}</p>
          </Callout>
        ) : null}

        {ex.exception ? (
          <Callout tone="info">
            <p data-testid="notice-exception">
              {t('exceptionUntil', i18n.when(ex.exception.until), ex.exception.ticket, ex.exception.approver)}
            </p>
          </Callout>
        ) : null}

        {variant === 'block' && ex.stale?.failMode === 'closed' ? (
          <Callout tone="warn">
            <p data-testid="notice-stale">{t('staleClosed', i18n.when(ex.stale.since))}</p>
          </Callout>
        ) : null}

        {variant === 'block' && ex.acknowledgement ? <AcknowledgeNotice i18n={i18n} ack={ex.acknowledgement} /> : null}

        {variant === 'block' && ex.exceptionRequest ? (
          <Callout tone="info">
            <p>{t('exceptionRequestText')}</p>
            <p>
              <a
                class="button"
                href={ex.exceptionRequest}
                target="_blank"
                rel="noopener"
                data-testid="exception-request"
              >
                {t('exceptionRequest')}
              </a>
            </p>
          </Callout>
        ) : null}

        <section class="card" aria-labelledby="alt-heading">
          <h2 id="alt-heading">{t(variant === 'fail-closed' ? 'failClosedNext' : 'useInstead')}</h2>
          {variant === 'fail-closed' ? (
            <p class="contact-first">
              {withSlot(
                t('failClosedAsk', SLOT),
                <Contact contact={contact} fallback={policyContact(status, i18n)} testid="notice-contact" />,
              )}
            </p>
          ) : null}
          <ToolList
            tools={ex.alternatives}
            testid="notice-alternatives"
            empty={t(variant === 'fail-closed' ? 'failClosedNoAlternatives' : 'noAlternatives')}
          />
          {variant === 'fail-closed' ? null : (
            <p class="contact">
              {t('contactPrefix')} <Contact contact={contact} fallback={t('defaultContact')} testid="notice-contact" />
            </p>
          )}
        </section>

        {variant === 'warn' ? <Acknowledge i18n={i18n} url={url} ex={ex} /> : null}

        <section class="card" aria-labelledby="details-heading">
          <h2 id="details-heading">{t('details')}</h2>
          <Facts facts={facts} />
          <HelpDesk
            t={t}
            text={() =>
              helpDeskSummary({
                view: { status, office: ex.office, site: ex },
                siteUrl: url,
                tEn: i18n.tEn,
                now: new Date(),
                languages,
              })
            }
          />
        </section>

        {history.length > 1 ? (
          <p>
            <button type="button" class="button" onClick={() => history.back()}>
              {t('goBack')}
            </button>
          </p>
        ) : null}
      </main>
      <Footer i18n={i18n} />
    </>
  );
}

/** The notice as the worker's last snapshot gives it for `url` (src/core/decide/notice-snapshot.ts), or null. */
async function readSnapshot(url: string): Promise<{ explanation: Explanation; status: Status } | null> {
  try {
    const host = hostOfUrl(url);
    const storage = browser.storage.local;
    const meta = host
      ? ((await storage.get(NOTICE_SNAPSHOT_KEY))[NOTICE_SNAPSHOT_KEY] as NoticeSnapshotMeta | undefined)
      : undefined;
    if (!host || meta?.v !== 3 || !meta.status) return null;
    const key = shardKey(shardOf(host, meta.shards));
    const explanation = explainFromSnapshot(
      meta,
      (await storage.get(key))[key] as NoticeSnapshotShard | undefined,
      url,
    );
    return explanation ? { explanation, status: meta.status } : null;
  } catch {
    return null;
  }
}

/**
 * Resolves once the frame with the latest render has been painted. A hidden tab paints no frames
 * (requestAnimationFrame waits until it is shown): the timeout keeps the worker's answer, and the
 * audit event it records, from waiting for that.
 */
function afterNextPaint(): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 100);
    requestAnimationFrame(() =>
      setTimeout(() => {
        clearTimeout(timer);
        resolve();
      }, 0),
    );
  });
}

/**
 * Load what the page shows, calling `publish` with each state: the snapshot's notice first when
 * there is one, then the worker's answer.
 */
async function loadNotice(publish: (state: State) => void): Promise<void> {
  const languages = uiLanguages();
  const url = explainedUrl(location.href);
  // Both at once: the snapshot does not wait for the translations.
  const i18nPromise = loadI18n(languages, packageUrl).catch(() => createI18n(languages, {}, {}));
  const snapshotPromise = url ? readSnapshot(url) : Promise.resolve(null);
  // The worker records the block or warning when it is asked: a page left before it asked (the
  // employee went on at once) asks on its way out, so the audit event is never lost.
  let answer: Promise<[Explanation, Status]> | null = null;
  const ask = (address: string) =>
    (answer ??= Promise.all([sendRequest({ type: 'explain', url: address }), sendRequest({ type: 'get-status' })]));
  if (url) addEventListener('pagehide', () => void ask(url).catch(() => undefined), { once: true });
  const i18n = await i18nPromise;
  applyDocumentLanguage(i18n, document.documentElement);
  if (!url) {
    publish({ phase: 'failed', i18n, message: i18n.t('badAddress') });
    return;
  }
  // The worker's answer is the truth (and records the audit event), but a worker that was asleep
  // first re-verifies and recompiles the policy: paint the snapshot it left after its last apply
  // first, and only then ask. A worker waking up (or still busy waking for the previous block
  // page) takes the CPU and the extension's storage queue that this first paint needs.
  const snapshot = await snapshotPromise;
  if (snapshot) {
    publish({ phase: 'ready', i18n, url, ...snapshot });
    await afterNextPaint();
  }
  try {
    const [explanation, status] = await ask(url);
    publish({ phase: 'ready', i18n, url, explanation, status });
  } catch (e) {
    if (!snapshot) publish({ phase: 'failed', i18n, message: i18n.t('loadFailed', errorText(e)) });
  }
}

function NoticeApp({
  page,
  initial,
  bind,
}: {
  page: PageKind;
  initial: State;
  bind: (set: (state: State) => void) => void;
}) {
  const [state, setState] = useState<State>(initial);
  useLayoutEffect(() => bind(setState), []);

  if (state.phase === 'loading') return <Skeleton page={page} />;
  if (state.phase === 'failed') {
    const { t } = state.i18n;
    return (
      <>
        <Band tone={page === 'block' ? 'error' : 'warn'} kind={t(page === 'block' ? 'kindBlock' : 'kindWarn')} />
        <main class="page">
          <h1>{t(page === 'block' ? 'kindBlock' : 'kindWarn')}</h1>
          <Callout tone="error">
            <p role="alert">{state.message}</p>
            <p>{t('loadFailedAdvice')}</p>
          </Callout>
        </main>
        <Footer i18n={state.i18n} />
      </>
    );
  }
  return <NoticeView page={page} state={state} />;
}

/**
 * How long the first render waits for the notice before it shows the skeleton. The snapshot and
 * the translations usually come well within it: the page's first frame is then the notice itself,
 * as the browser's own block page is, rather than a skeleton and the notice a frame or more later.
 */
const FIRST_RENDER_WAIT_MS = 150;

/** Entry point of block/index.tsx and warn/index.tsx. */
export function startNoticePage(page: PageKind, root: HTMLElement = document.getElementById('app') ?? document.body) {
  root.textContent = '';
  let latest: State = { phase: 'loading' };
  let update: ((state: State) => void) | null = null;
  const mount = () => {
    if (update) return;
    update = () => undefined; // mounted; the component binds the real setter in its first layout effect
    render(
      <NoticeApp
        page={page}
        initial={latest}
        bind={(set) => {
          update = set;
          set(latest); // anything published between this render and the binding
        }}
      />,
      root,
    );
  };
  const timer = setTimeout(mount, FIRST_RENDER_WAIT_MS);
  void loadNotice((state) => {
    latest = state;
    if (update) update(state);
    else {
      clearTimeout(timer);
      mount();
    }
  });
}
