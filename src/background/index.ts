/**
 * Service worker entry. Every listener is registered synchronously at top level (a killed worker
 * is woken by the event, and only listeners registered in the first turn receive it); all state
 * is in storage; timers that must survive are alarms.
 */
import { browser } from '../platform/browser.ts';
import { AUDIT_ALARM, handleAuditAlarm, HEARTBEAT_ALARM } from './audit.ts';
import { REFRESH_ALARM, RULES_ALARM } from './alarms.ts';
import { applyRules, enforceTab, injectOnDemand, heartbeatNow, noteLocalChange, refreshPolicy } from './enforcement.ts';
import { HANDLERS } from './handlers.ts';
import { answerRequests } from '../platform/request-dispatch.ts';
import { scheduleDetector } from './discovery.ts';
import { updateBadge } from './badge.ts';
import { expireLocation, handleIdleState, LOCATION_ALARM, LOCATION_EXPIRY_ALARM, refreshLocation } from './location.ts';

browser.runtime.onInstalled.addListener(() => void refreshPolicy('installed or updated'));
browser.runtime.onStartup.addListener(() => void refreshPolicy('browser started'));
// Where the browser is (docs/location.md): at start, on waking, on a timer, on configuration change.
browser.runtime.onInstalled.addListener(() => void refreshLocation('start'));
browser.runtime.onStartup.addListener(() => void refreshLocation('start'));
browser.idle.onStateChanged.addListener(handleIdleState);

browser.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name === REFRESH_ALARM) void refreshPolicy('scheduled refresh');
  else if (alarm.name === RULES_ALARM) void applyRules();
  else if (alarm.name === AUDIT_ALARM) void handleAuditAlarm();
  else if (alarm.name === HEARTBEAT_ALARM) void heartbeatNow();
  else if (alarm.name === LOCATION_ALARM) void refreshLocation('timer');
  else if (alarm.name === LOCATION_EXPIRY_ALARM) void expireLocation();
});

// Managed storage can arrive late (Chromium loads extension policy at low priority) or change.
browser.storage.onChanged.addListener((changes, area) => {
  if (area === 'managed') {
    void refreshPolicy('managed configuration changed');
    void refreshLocation('config');
  } else if (area === 'local') {
    void noteLocalChange(Object.keys(changes));
  }
});

// Every request is checked (kind, sender, schema) before its handler runs.
answerRequests(HANDLERS);

// Per-navigation work listens to webNavigation, not tabs.onUpdated: tabs.onUpdated fires four to
// six times per page load (loading, url, title, favicon, complete), each time serialising the whole
// tab in the browser process and running the worker; webNavigation sends one small object per step
// (commit, load), and a page restored from the back/forward cache still gets both
// (WebNavigationTabObserver in Chromium). Frames inside a page are dropped by the frameId test.
// URL filters cannot narrow these further: the listed hosts live in storage, and listeners must be
// added in the worker's first turn (docs/benchmarks.md, "Fast pages and the detector").
// https://developer.chrome.com/docs/extensions/reference/api/webNavigation
browser.webNavigation.onCommitted.addListener(({ tabId, frameId, url }) => {
  if (frameId !== 0) return;
  // A new document in the tab: a pending detector was meant for the page before. Scheduled again
  // here (it waits for the tab to be complete) for a prerendered page shown now, whose load
  // completed before it was in the tab; onCompleted re-schedules every other page.
  scheduleDetector(tabId, url);
  void enforceTab(tabId, url);
  void updateBadge(tabId, url);
});
// Single-page-app routes (history.pushState, a new #fragment): URLs the network rules never see.
const onSameDocument = ({ tabId, frameId, url }: { tabId: number; frameId: number; url: string }) => {
  if (frameId !== 0) return;
  void enforceTab(tabId, url);
  void updateBadge(tabId, url);
};
browser.webNavigation.onHistoryStateUpdated.addListener(onSameDocument);
browser.webNavigation.onReferenceFragmentUpdated.addListener(onSameDocument);
browser.webNavigation.onCompleted.addListener(({ tabId, frameId, url }) => {
  if (frameId !== 0) return;
  void injectOnDemand(tabId, url);
  scheduleDetector(tabId, url);
});
browser.tabs.onActivated.addListener(({ tabId }) => {
  void browser.tabs.get(tabId).then(
    (tab) => updateBadge(tabId, tab.url),
    () => undefined,
  );
});

// The policy is loaded when an event needs it, not on every start: a worker started for a tab
// event while a block page paints its notice would take the CPU and the storage queue that page
// needs (a large policy is seconds of work to re-verify and compile).
