/** The toolbar popup: the employee's situation at a glance. */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { NoticeEntry, UpcomingNotice } from '../core/decide/explain.ts';
import type { PopupView } from '../platform/messages.ts';
import { policyInForce } from '../core/policy/policy-in-force.ts';
import { applyDocumentLanguage, createI18n, loadI18n, type I18n } from '../ui/i18n.ts';
import { packageUrl, sendRequest, uiLanguages } from '../platform/browser.ts';
import {
  ACTION_TONE,
  actionLabel,
  describeExceptions,
  describeLocation,
  describePolicyState,
  describeSite,
  officeLabel,
  upcomingLabel,
  pickLocalized,
} from '../ui/status-text.ts';
import { displayHost } from '../ui/url.ts';
import { Bar, Callout, Chip, Contact, Facts, HelpDesk, ShieldMark, ToolList, type Fact } from '../ui/ui.tsx';
import { IS_DEMO_BUILD } from '../platform/demo-build.ts';
import { findSiteUrl } from './current-tab.ts';
import { helpDeskSummary } from '../ui/help-desk.ts';

type State =
  | { phase: 'loading' }
  | { phase: 'failed'; i18n: I18n; message: string }
  | { phase: 'ready'; i18n: I18n; view: PopupView; siteUrl: string | null };

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

function Header({ chip }: { chip: ComponentChildren }) {
  return (
    <>
      {IS_DEMO_BUILD ? (
        // Developers and evaluators only: the demo build is never deployed, so this is not translated.
        <p class="pop-demo" data-testid="demo-build" lang="en">
          Demo build: configured from a file bundled with it, not by enterprise policy.
        </p>
      ) : null}
      <header class="pop-head">
        <ShieldMark class="pop-head__mark" />
        <h1>AI Geofence</h1>
        <div class="pop-head__state">{chip}</div>
      </header>
    </>
  );
}

function Skeleton() {
  return (
    <>
      <Header chip={<Bar w="5.5rem" h="1.4rem" />} />
      <main class="pop" aria-busy="true">
        <div class="pop-office">
          <Bar w="9rem" />
        </div>
        <div class="card">
          <Bar w="5rem" h="1.1rem" />
          <Bar w="8rem" h="1.25rem" mt="0.6rem" />
          <Bar w="14rem" h="1.4rem" mt="0.5rem" />
        </div>
        <div class="card">
          <Bar w="10rem" h="1.1rem" />
          <Bar w="100%" h="3.5rem" mt="0.6rem" />
          <Bar w="100%" h="3.5rem" mt="0.5rem" />
        </div>
        <div class="card">
          <Bar w="6rem" h="1.1rem" />
          {[0, 1, 2, 3].map((i) => (
            <Bar key={i} w={`${55 + i * 10}%`} mt="0.6rem" />
          ))}
        </div>
      </main>
    </>
  );
}

function NoticeItem({ entry, i18n }: { entry: NoticeEntry | UpcomingNotice; i18n: I18n }) {
  const { t, languages } = i18n;
  const title = pickLocalized(entry.notice?.title, languages);
  const reason = pickLocalized(entry.notice?.reason, languages);
  const reference = pickLocalized(entry.notice?.reference, languages);
  const tools = entry.tools.map((tool) => tool.name).join(', ');
  // An upcoming rule says when it starts, in the employee's own time zone (Intl's default).
  const start = 'from' in entry ? t('popupStarts', i18n.when(entry.from)) : '';
  const meta = [
    start,
    reference.text,
    !start && entry.notice?.effective ? t('popupSince', i18n.when(entry.notice.effective)) : '',
  ].filter(Boolean);
  return (
    <li class="notice-item">
      <div class="notice-item__head">
        <Chip tone={ACTION_TONE[entry.action]}>
          {start ? upcomingLabel(entry.action, t) : actionLabel(entry.action, t)}
        </Chip>
        <span class="notice-item__tools">{tools}</span>
      </div>
      <p class="notice-item__title" lang={title.lang}>
        {title.text || `${actionLabel(entry.action, t)}: ${tools}`}
      </p>
      {meta.length ? <p class="notice-item__meta">{meta.join(' · ')}</p> : null}
      {reason.text ? (
        <details>
          <summary>{t('popupWhy')}</summary>
          <p lang={reason.lang}>{reason.text}</p>
        </details>
      ) : null}
    </li>
  );
}

function PopupBody({
  state,
  onRefresh,
  refreshing,
}: {
  state: Extract<State, { phase: 'ready' }>;
  onRefresh: () => void;
  refreshing: boolean;
}) {
  const { i18n, view, siteUrl } = state;
  const { t, languages } = i18n;
  const { status, site } = view;
  const policy = status.policy;
  const policyState = describePolicyState(status, i18n);
  const siteState = describeSite(site, i18n);
  const siteNotice = site?.notice && site.basis === 'rule' ? site.notice : null;
  const siteTitle = pickLocalized(siteNotice?.title, languages);
  const siteReason = pickLocalized(siteNotice?.reason, languages);
  const siteReference = pickLocalized(siteNotice?.reference, languages);
  const restricted = site && (site.action === 'block' || site.action === 'warn');

  // An allow rule without a notice has nothing to tell the employee; the tool is under "approved".
  const notices = view.notices.filter((entry) => entry.notice || entry.action !== 'allow');
  const officeText = view.office ? officeLabel(view.office, languages) : (status.config?.office ?? t('notGiven'));
  const upcoming = (view.upcoming ?? []).filter((entry) => entry.notice || entry.action !== 'allow');

  const policyFacts: Fact[] = [
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
    // The serial whose network rules are installed, not merely verified (policy-status says which is pending).
    { label: t('labelSerial'), value: String(policyInForce(status).serial ?? t('notGiven')), testid: 'policy-serial' },
    { label: t('labelIssuer'), value: policy?.issuer ?? t('notGiven') },
  ];
  if (policy) {
    // Signing keys and the fingerprint are for the help desk (its summary), not the employee.
    policyFacts.push(
      { label: t('labelIssued'), value: i18n.when(policy.issued) },
      { label: t('labelExpires'), value: i18n.when(policy.expires) },
    );
  }

  const location = describeLocation(status, i18n);
  const exceptions = describeExceptions(status, i18n);
  if (exceptions) {
    policyFacts.push({
      label: t('labelExceptions'),
      value: (
        <>
          {exceptions.lines.map((line) => (
            <span class="fact-line" key={line} data-tone={exceptions.tone}>
              {line}
            </span>
          ))}
        </>
      ),
      testid: 'exceptions-status',
    });
  }

  const delivery = status.audit.lastDelivery;
  // The collector's own error is for the help desk; the employee needs to know nothing is lost.
  const auditLines = [
    t('auditQueued', status.audit.queued),
    !status.config?.auditUrl
      ? t('auditOff')
      : !delivery
        ? t('auditNever')
        : delivery.ok
          ? t('auditDelivered', i18n.when(delivery.at))
          : t('auditSendFailed', i18n.when(delivery.at)),
  ];

  return (
    <>
      <Header chip={<Chip tone={policyState.tone}>{policyState.headline}</Chip>} />
      <main class="pop">
        <p class="pop-office">
          <span class="pop-office__label">{t('labelOffice')}</span>{' '}
          <strong data-testid="office-name">{officeText}</strong>
        </p>
        {location ? (
          <p class="pop-office" data-tone={location.tone}>
            <span class="pop-office__label">{t('labelLocation')}</span>{' '}
            <strong data-testid="location">{location.text}</strong>
          </p>
        ) : null}

        <section class="card" aria-labelledby="site-heading" data-tone={siteState.tone}>
          <h2 id="site-heading">{t('popupSite')}</h2>
          <p class="site-host">{siteUrl ? displayHost(siteUrl) : t('siteNone')}</p>
          <p>
            <Chip tone={siteState.tone} testid="site-status">
              {siteState.text}
            </Chip>
          </p>
          {siteState.note ? <p class="fact-line">{siteState.note}</p> : null}
          {siteNotice ? (
            <div class="site-notice">
              <p class="site-notice__title" data-testid="notice-title" lang={siteTitle.lang}>
                {siteTitle.text}
              </p>
              {siteReason.text ? (
                <p data-testid="notice-reason" lang={siteReason.lang}>
                  {siteReason.text}
                </p>
              ) : null}
              {siteReference.text ? (
                <p class="fact-line" data-testid="notice-reference" lang={siteReference.lang}>
                  {siteReference.text}
                </p>
              ) : null}
            </div>
          ) : null}
          {restricted && site.alternatives.length ? (
            <div class="site-alternatives">
              <h3>{t('useInstead')}</h3>
              <ToolList tools={site.alternatives} testid="notice-alternatives" empty="" newTab />
            </div>
          ) : null}
          {restricted ? (
            <p class="fact-line">
              {t('contactPrefix')}{' '}
              <Contact contact={site.contact} fallback={t('defaultContact')} testid="notice-contact" />
            </p>
          ) : null}
        </section>

        <section class="card" aria-labelledby="notices-heading">
          <h2 id="notices-heading">{t('popupNotices')}</h2>
          {notices.length ? (
            <ul class="notice-list">
              {notices.map((entry) => (
                <NoticeItem key={entry.ruleId} entry={entry} i18n={i18n} />
              ))}
            </ul>
          ) : (
            <p>{t('popupNoNotices')}</p>
          )}
        </section>

        {upcoming.length ? (
          <section class="card" aria-labelledby="upcoming-heading" data-testid="upcoming-notices">
            <h2 id="upcoming-heading">{t('popupUpcoming')}</h2>
            <ul class="notice-list">
              {upcoming.map((entry) => (
                <NoticeItem key={entry.ruleId} entry={entry} i18n={i18n} />
              ))}
            </ul>
          </section>
        ) : null}

        <section class="card" aria-labelledby="approved-heading">
          <h2 id="approved-heading">{t('popupApproved')}</h2>
          <ToolList tools={view.approved} empty={t('popupNoApproved')} newTab />
        </section>

        <section class="card" aria-labelledby="policy-heading">
          <h2 id="policy-heading">{t('popupPolicy')}</h2>
          <Facts facts={policyFacts} />
        </section>

        <section class="card" aria-labelledby="audit-heading">
          <h2 id="audit-heading">{t('popupAudit')}</h2>
          {auditLines.map((line) => (
            <p key={line}>{line}</p>
          ))}
        </section>

        <div class="pop-actions">
          <HelpDesk t={t} text={() => helpDeskSummary({ view, siteUrl, tEn: i18n.tEn, now: new Date(), languages })} />
          <button type="button" class="button" onClick={onRefresh} disabled={refreshing} aria-busy={refreshing}>
            {refreshing ? t('checking') : t('checkUpdate')}
          </button>
        </div>
      </main>
      <footer class="pop-foot">{t('version', status.extensionVersion)}</footer>
    </>
  );
}

export function PopupApp() {
  const [state, setState] = useState<State>({ phase: 'loading' });
  const [refreshing, setRefreshing] = useState(false);

  async function load(i18n: I18n) {
    try {
      const siteUrl = await findSiteUrl();
      const view = await sendRequest({ type: 'get-popup', tabUrl: siteUrl });
      setState({ phase: 'ready', i18n, view, siteUrl });
    } catch (e) {
      setState({ phase: 'failed', i18n, message: i18n.t('loadFailed', errorText(e)) });
    }
  }

  useEffect(() => {
    const languages = uiLanguages();
    void loadI18n(languages, packageUrl)
      .catch(() => createI18n(languages, {}, {}))
      .then((i18n) => {
        applyDocumentLanguage(i18n, document.documentElement);
        return load(i18n);
      });
  }, []);

  async function refresh() {
    if (state.phase === 'loading') return;
    setRefreshing(true);
    try {
      await sendRequest({ type: 'refresh-policy' });
    } catch {
      // The reload below shows the outcome, including a failed fetch.
    }
    await load(state.i18n);
    setRefreshing(false);
  }

  if (state.phase === 'loading') return <Skeleton />;
  if (state.phase === 'failed') {
    return (
      <>
        <Header chip={null} />
        <main class="pop">
          <Callout tone="error">
            <p role="alert">{state.message}</p>
            <p>{state.i18n.t('loadFailedAdvice')}</p>
          </Callout>
        </main>
      </>
    );
  }
  return <PopupBody state={state} onRefresh={refresh} refreshing={refreshing} />;
}
