/**
 * The policy preview page, in the built extension: it asks the background (trusted request
 * `get-matrix`) and shows every office × tool of the verified policy, this employee's row marked.
 */
import { expect, test } from '@playwright/test';
import {
  EXTENSION_ID,
  launchBrowser,
  makeKey,
  samplePolicy,
  signPolicy,
  startPolicyServer,
  startServer,
  vendorPage,
  waitForManagedConfig,
  waitForPolicy,
  writeManagedConfig,
  trackForCleanup,
} from './harness.ts';

const { browsers, servers } = trackForCleanup();

test('the preview page shows the office × tool matrix of the policy in force', async () => {
  const vendor = await startServer(vendorPage);
  servers.push(vendor);
  const key = await makeKey('compliance-2026');
  const policyServer = await startPolicyServer(await signPolicy(samplePolicy(), [key]));
  servers.push(policyServer);
  writeManagedConfig({ office: 'HK', policyUrl: policyServer.url, trustedKeys: [key.publicJwk] });
  const b = await launchBrowser({ vendorPort: vendor.port });
  browsers.push(b);
  await waitForManagedConfig(b.context, 'HK');
  await waitForPolicy(b.context, 42);

  const page = await b.context.newPage();
  await page.goto(`chrome-extension://${EXTENSION_ID}/preview.html`);
  await expect(page.getByTestId('policy-serial')).toContainText('42');
  const cell = (office: string, tool: string) =>
    page.locator(`tr[data-office="${office}"][data-group=""] td[data-tool="${tool}"]`);
  await expect(cell('HK', 'claude')).toContainText('block');
  await expect(cell('HK', 'claude')).toContainText('HK-ANTHROPIC-2026-11');
  await expect(cell('LDN', 'claude')).toContainText('warn');
  await expect(cell('NY', 'claude').getByTestId('cell-action')).toHaveText('allow');
  await expect(page.locator('tr.mine')).toHaveAttribute('data-office', 'HK');
  await expect(page.locator('tbody tr')).toHaveCount(3);
});
