import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { createProduct } from '../../harness/fixtures';
import { startStack, type Stack } from '../../harness/stack';
import { waitFor } from '../../harness/wait';

const UI = process.env.TEMPORAL_UI_URL ?? 'http://127.0.0.1:8233';
const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts');

let stack: Stack;
let browser: Browser;
beforeAll(async () => {
  stack = await startStack({ HOLD_TTL_SECONDS: '120' });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/** The operator's view: the Web UI, filtered by the HoldStatus search attribute, lists a hold the test created. */
test('the Temporal Web UI finds a held hold by HoldStatus and ProductId, and shows its summary', async () => {
  const productId = await createProduct(stack, 10, 'UI check product');
  const res = await stack.http.post('/api/holds', { product_id: productId, quantity: 2 });
  expect(res.status).toBe(201);
  const holdId = res.body.data.hold_id;
  const ns = stack.config.TEMPORAL_NAMESPACE;
  // Visibility is eventually consistent: wait until the server's list sees it before asking the UI.
  const query = `WorkflowType="holdWorkflowV2" AND HoldStatus="HELD" AND ProductId=${productId}`;
  await waitFor('visibility to index the hold', async () => {
    for await (const wf of stack.client.workflow.list({ query })) if (wf.workflowId === `hold-${holdId}`) return true;
    return false;
  });

  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`${UI}/namespaces/${ns}/workflows?query=${encodeURIComponent(query)}`);
  await page.getByText(`hold-${holdId}`, { exact: true }).first().waitFor({ timeout: 30_000 });
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, 'temporal-ui-held-holds.png'), fullPage: true });

  await page.getByText(`hold-${holdId}`, { exact: true }).first().click();
  await page.getByText('holdWorkflowV2').first().waitFor({ timeout: 30_000 });
  await page.screenshot({ path: path.join(ARTIFACTS, 'temporal-ui-hold-detail.png'), fullPage: true });
  await page.close();

  // The static summary the UI shows reads like a sentence.
  const description = await stack.client.workflow.getHandle(`hold-${holdId}`).describe();
  expect(await description.staticSummary()).toBe(`hold ${holdId}: 2 × product ${productId}`);
  // The status query gives the exact state an operator sees there.
  const status = await stack.client.workflow.getHandle(`hold-${holdId}`).query<{ state: string }>('status');
  expect(status.state).toBe('HELD');
  await stack.http.post(`/api/holds/${holdId}/release`);
});
