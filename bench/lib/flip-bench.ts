/**
 * "In force" means installed, measured the way an employee meets it: publish a new serial of the
 * large policy that blocks one more vendor host, reload the popup until it names that serial, and
 * navigate to the newly blocked host at once. Zero requests may reach it. Each round first loads
 * the host while it is still allowed (the positive control: the mapping works and the count can
 * see a request), so a zero after the flip means blocked, not unreachable.
 */
import type { Page } from '@playwright/test';
import type { RecordedRequest } from '../../test/e2e/harness.ts';
import { makePolicy } from './policies.ts';

/** Hosts under this suffix are mapped to the fake vendor (browser-bench's host rules). */
export const FLIP_HOST_SUFFIX = 'flip.example';
export const flipHost = (round: number) => `r${round}.${FLIP_HOST_SUFFIX}`;

export interface FlipRound {
  serial: number;
  /** Popup reloads until it named the serial. */
  reloads: number;
  /** The popup said "verified; applying…" at least once before naming it. */
  sawApplying: boolean;
  /** Before the flip, the allowed host's request reached the vendor (positive control). */
  controlReached: boolean;
  requestsAfterPopup: number;
  endedOnBlockPage: boolean;
}

export interface FlipResult {
  domains: number;
  rounds: FlipRound[];
  requestsAfterPopup: number;
  controlsReached: number;
}

/** The generated policy of `domains` domains plus a block for the flip hosts of rounds < `blocked`. */
export function flipPolicy(domains: number, serial: number, blocked: number): Record<string, unknown> {
  const { policy } = makePolicy(domains, serial);
  const tools = { ...(policy.tools as Record<string, unknown>) };
  const rules = [...(policy.rules as unknown[])];
  for (let i = 0; i < blocked; i++) {
    tools[`flip-${i}`] = { name: `Flip ${i}`, vendor: `Flip ${i} Ltd`, domains: [flipHost(i)] };
    rules.push({
      id: `HK-FLIP-${i}`,
      tools: [`flip-${i}`],
      offices: ['HK'],
      action: 'block',
      notice: { title: `Do not use: Flip ${i}` },
    });
  }
  return { ...policy, tools, rules };
}

export interface FlipDeps {
  popup: Page;
  page: Page;
  popupUrl: string;
  blockPagePrefix: string;
  /** Sign and publish a policy document; resolves once the server serves it. */
  publish(policy: Record<string, unknown>): Promise<void>;
  /** Ask the worker to refresh now (the policy-refresh alarm). */
  trigger(): Promise<void>;
  requests(): readonly RecordedRequest[];
}

async function popupSerialLoop(
  popup: Page,
  serial: number,
  timeoutMs: number,
): Promise<{ reloads: number; sawApplying: boolean }> {
  const deadline = Date.now() + timeoutMs;
  let reloads = 0;
  let sawApplying = false;
  for (;;) {
    reloads++;
    await popup.reload();
    const serialText = await popup
      .getByTestId('policy-serial')
      .textContent({ timeout: 10_000 })
      .catch(() => null);
    const status =
      (await popup
        .getByTestId('policy-status')
        .textContent({ timeout: 1_000 })
        .catch(() => null)) ?? '';
    if (status.includes(`Policy ${serial} verified; applying`)) sawApplying = true;
    if (serialText?.trim() === String(serial)) return { reloads, sawApplying };
    if (Date.now() > deadline)
      throw new Error(`the popup did not name serial ${serial} within ${timeoutMs / 1000} s (last: ${serialText})`);
  }
}

/** `rounds` flips of the `domains`-domain policy, serials from `firstSerial`. */
export async function flipAndNavigate(
  domains: number,
  rounds: number,
  firstSerial: number,
  deps: FlipDeps,
): Promise<FlipResult> {
  const out: FlipRound[] = [];
  await deps.popup.goto(deps.popupUrl);
  for (let i = 0; i < rounds; i++) {
    const host = flipHost(i);
    const serial = firstSerial + i;
    const hits = (path: string) =>
      deps.requests().filter((q) => q.host.split(':')[0] === host && q.path.startsWith(path)).length;
    await deps.page.goto(`https://${host}/control-${i}`).catch(() => undefined);
    const controlReached = hits(`/control-${i}`) > 0;
    await deps.publish(flipPolicy(domains, serial, i + 1));
    await deps.trigger();
    const seen = await popupSerialLoop(deps.popup, serial, 5 * 60_000);
    // At once, as an employee who just read the popup would.
    await deps.page.goto(`https://${host}/after-popup-${i}`).catch(() => undefined);
    await deps.page
      .waitForURL((u) => u.href.startsWith(deps.blockPagePrefix), { timeout: 10_000 })
      .catch(() => undefined);
    out.push({
      serial,
      ...seen,
      controlReached,
      requestsAfterPopup: hits(`/after-popup-${i}`),
      endedOnBlockPage: deps.page.url().startsWith(deps.blockPagePrefix),
    });
  }
  return {
    domains,
    rounds: out,
    requestsAfterPopup: out.reduce((n, r) => n + r.requestsAfterPopup, 0),
    controlsReached: out.filter((r) => r.controlReached).length,
  };
}

/** The markdown section for the report. */
export function renderFlip(r: FlipResult | null): string {
  if (!r) return '';
  return [
    '#### 4b. Popup names a new serial → navigate at once to the vendor it newly blocks',
    '',
    `${r.rounds.length} rounds with the ${r.domains.toLocaleString('en-US')}-domain policy: publish a serial that blocks one more host, reload the popup until it names that serial, navigate to the host at once. Before each flip the same host is loaded while allowed (control).`,
    '',
    '| Rounds | Controls that reached the vendor | Popup reloads (median) | Saw "verified; applying…" | Requests after the popup named the serial | Ended on the block page |',
    '| --- | --- | --- | --- | --- | --- |',
    `| ${r.rounds.length} | ${r.controlsReached} / ${r.rounds.length} | ${[...r.rounds.map((x) => x.reloads)].sort((a, b) => a - b)[Math.floor(r.rounds.length / 2)] ?? '–'} | ${r.rounds.filter((x) => x.sawApplying).length} / ${r.rounds.length} | **${r.requestsAfterPopup}** | ${r.rounds.filter((x) => x.endedOnBlockPage).length} / ${r.rounds.length} |`,
  ].join('\n');
}
