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
import { cancelDetector, scheduleDetector } from './discovery.ts';
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

browser.tabs.onUpdated.addListener((tabId, info, tab) => {
  // info.url also fires for history.pushState: single-page-app routes the network rules never see.
  if (info.url) void enforceTab(tabId, info.url);
  if (info.url || info.status === 'complete') void updateBadge(tabId, tab.url);
  if (info.status === 'loading') cancelDetector(tabId);
  if (info.status === 'complete' && tab.url) {
    void injectOnDemand(tabId, tab.url);
    scheduleDetector(tabId, tab.url);
  }
});
browser.tabs.onActivated.addListener(({ tabId }) => {
  void browser.tabs.get(tabId).then((tab) => updateBadge(tabId, tab.url), () => undefined);
});

// The policy is loaded when an event needs it, not on every start: a worker started for a tab
// event while a block page paints its notice would take the CPU and the storage queue that page
// needs (a large policy is seconds of work to re-verify and compile).
