/**
 * The worker's own timers are alarms, which survive the worker being stopped (timers do not):
 * https://developer.chrome.com/docs/extensions/reference/api/alarms. The audit and location
 * modules own their alarms; these are the policy's.
 */
import { browser } from '../platform/browser.ts';
import { HEARTBEAT_ALARM } from './audit.ts';

/** Re-fetch the policy every `refreshMinutes`. */
export const REFRESH_ALARM = 'policy-refresh';
/** Re-plan at the next instant the rules change (a rule window, an acknowledgement's end, expiry). */
export const RULES_ALARM = 'rules-window';

export async function scheduleRefresh(minutes: number): Promise<void> {
  await browser.alarms.create(REFRESH_ALARM, { periodInMinutes: minutes, delayInMinutes: minutes });
}

/** One alarm at the plan's next change (half a second after, so the instant has passed), or none. */
export async function scheduleNextChange(at: number | null): Promise<void> {
  if (at !== null) await browser.alarms.create(RULES_ALARM, { when: at + 500 });
  else await browser.alarms.clear(RULES_ALARM);
}

/** Hourly: heartbeats are due daily or on change; alarms may not survive a restart, so check each life. */
export async function ensureHeartbeatAlarm(): Promise<void> {
  if (!(await browser.alarms.get(HEARTBEAT_ALARM).catch(() => undefined)))
    await browser.alarms.create(HEARTBEAT_ALARM, { periodInMinutes: 60 });
}
