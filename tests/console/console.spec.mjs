// The web console in Debian's Chromium, driven by playwright-core, against a real opencapf:
// log in, import three devices from CSV, schedule an install with generated authentication strings
// through the bulk form, run the simulated phones with those strings, and watch the devices turn
// to Upgrade Success; then the device page (revoking its LSC), the dashboard, the trust-store
// upload (a refused file and a good one), the CAPF certificate (its request, a refused import,
// regeneration, retiring the previous one), the issuer page (a refused switch, an accepted one, a
// renewal), the reports, the cluster page, and log out. A full-page screenshot of every page is kept.
// Run by console_end_to_end.sh, which starts the server and passes everything in the environment.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this through console_end_to_end.sh`);
  return value;
};
const URL_BASE = env('CONSOLE_URL');
const TOKEN = env('CONSOLE_TOKEN');
const CSV = env('CONSOLE_CSV');
const ROOT_PEM = env('CONSOLE_ROOT_PEM');
const NOT_A_CERT = env('CONSOLE_NOT_A_CERT');
const ARTIFACTS = env('CONSOLE_ARTIFACTS');
const OPENCAPF = env('OPENCAPF');
const PHONE_SERVER = env('PHONE_SERVER');
const CAPF_PEM = env('CAPF_PEM');
const WORK = env('WORK');
const DEVICES = env('CONSOLE_DEVICES').split(' ');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

const started = Date.now();
const step = (text) => console.log(`== [${((Date.now() - started) / 1000).toFixed(1)} s] ${text}`);
const check = (ok, message) => {
  if (!ok) throw new Error(message);
};

mkdirSync(ARTIFACTS, { recursive: true });
const profile = mkdtempSync(join(tmpdir(), 'opencapf-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  ignoreHTTPSErrors: true,  // the admin listener presents the CAPF certificate
  viewport: { width: 1280, height: 860 },
  acceptDownloads: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const problems = [];
const outside = [];
try {
  // Nothing but opencapf on 127.0.0.1 may be asked for: the console works offline.
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.protocol !== 'blob:' && url.protocol !== 'data:' && url.hostname !== '127.0.0.1') {
      outside.push(url.href);
      return route.abort();
    }
    return route.continue();
  });
  const page = context.pages()[0] || (await context.newPage());
  page.setDefaultTimeout(10000);
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // A refused token or file is an expected HTTP error the console shows; anything else
    // (a script error, a Content-Security-Policy violation) fails the test.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`);
  });
  page.on('dialog', (d) => d.accept());
  const shot = async (name) => {
    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  };
  const waitText = async (selector, text) => {
    await page.locator(selector).filter({ hasText: text }).first().waitFor();
  };

  step('the console asks for a token and shows the API\'s words for a bad one');
  await page.goto(URL_BASE);
  await page.waitForURL(/#\/login$/);
  await page.locator('#token').fill('ocapf_999_0000000000000000000000000000000000000000000000000000000000000000');
  await page.getByRole('button', { name: 'Log in' }).click();
  await waitText('#login-form .alert.error', 'token');
  await shot('01-login');

  step('log in');
  await page.locator('#token').fill(TOKEN);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  check((await page.locator('.stat.total .count').textContent()) === '0', 'a fresh registry should have no devices');

  step('import three devices from CSV (Import without a file first asks for one)');
  await page.locator('#nav').getByRole('link', { name: 'Devices' }).click();
  await page.getByRole('heading', { name: 'Devices', exact: true }).waitFor();
  await page.locator('#import-form').getByRole('button', { name: 'Import' }).click();
  await waitText('#import-result .alert.error', 'Choose a CSV file first.');
  await page.locator('#import-file').setInputFiles(CSV);
  await page.locator('#import-form').getByRole('button', { name: 'Import' }).click();
  await waitText('#import-result .alert.ok', '3 created, 0 updated, 0 unchanged');
  await page.locator('#device-list tr[data-device]').nth(2).waitFor();
  check((await page.locator('#device-list tr[data-device]').count()) === 3, 'the list should show the three devices');
  check((await page.locator('#page-info').textContent()) === 'Devices 1–3 of 3', 'the pager should count three');

  step('select them and schedule an install with generated authentication strings');
  await page.locator('#select-all').check();
  await waitText('#selected-count', '3 selected');
  const form = page.locator('form.change-form');
  await form.locator('select[name=operation]').selectOption('install');
  await form.locator('select[name=auth_mode]').selectOption('string');
  await form.locator('select[name=key_order]').selectOption('ec');
  const tomorrow = new Date(Date.now() + 86400000);
  const local = new Date(tomorrow.getTime() - tomorrow.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  await form.locator('input[name=deadline]').fill(local);
  await form.locator('input[name=generate_auth_string]').check();
  await form.getByRole('button', { name: 'Apply to the selected devices' }).click();
  await waitText('#bulk-result .alert.ok', '3 devices changed');
  check(await page.locator('#bulk-progress').count() === 0, 'the progress bar should give way to the result');
  const strings = {};
  for (const row of await page.locator('#bulk-result tr.auth-string').all()) {
    strings[await row.getAttribute('data-device')] = (await row.locator('td.mono').textContent()).trim();
  }
  for (const name of DEVICES) {
    check(/^\d{8}$/.test(strings[name] || ''), `no generated string shown for ${name}: ${JSON.stringify(strings)}`);
    await waitText(`#device-list tr[data-device="${name}"] .badge.pending`, 'Operation Pending');
  }
  await shot('03-devices-scheduled');

  step('the simulated phones install their LSCs with those strings');
  const run = promisify(execFile);
  await Promise.all(DEVICES.map(async (name) => {
    const state = join(WORK, `phone-${name}`);
    try {
      await run(OPENCAPF, ['phone', name, '--server', PHONE_SERVER, '--capf-cert', CAPF_PEM,
        '--state', state, '--auth-string', strings[name], '--timeout', '20'], { timeout: 30000 });
    } catch (e) {
      throw new Error(`the phone ${name} failed (exit ${e.code}): ${e.stdout}${e.stderr}`);
    }
  }));

  step('the device list turns to Upgrade Success');
  const deadline = Date.now() + 20000;
  for (;;) {
    await page.locator('#refresh').click();
    const done = await page.locator('#device-list .badge.success').filter({ hasText: 'Upgrade Success' }).count();
    if (done === DEVICES.length) break;
    check(Date.now() < deadline, `after 20 s only ${done} of ${DEVICES.length} devices show Upgrade Success`);
    await page.waitForTimeout(250);
  }
  await page.locator('#select-all').check();
  await page.locator('#select-all').uncheck();
  await waitText('#selected-count', 'No device selected');
  await shot('04-devices-success');

  step('the device page shows the installed certificate and the history');
  await page.getByRole('link', { name: DEVICES[0], exact: true }).click();
  await page.getByRole('heading', { name: DEVICES[0] }).waitFor();
  await page.locator('section').filter({ hasText: 'Certificates' }).locator('tbody tr').first().waitFor();
  check((await page.locator('section').filter({ hasText: 'History' }).locator('tbody tr').count()) > 0,
    'the history should list the install');
  await waitText('.title-row .badge.success', 'Upgrade Success');
  await shot('05-device');

  step('revoke that LSC from the device page: the ledger marks it revoked with the chosen reason');
  await page.locator('select[name=reason]').selectOption('superseded');
  const certRow = page.locator('section').filter({ hasText: 'Certificates' }).locator('tbody tr').first();
  const serial = await certRow.getAttribute('data-serial');
  await certRow.getByRole('button', { name: 'Revoke' }).click();
  await waitText('#revoke-result .alert.ok', `Revoked ${serial} (superseded)`);
  await waitText(`tr[data-serial="${serial}"] .badge.failed`, 'revoked');
  check((await page.locator(`tr[data-serial="${serial}"]`).getByRole('button', { name: 'Revoke' }).count()) === 0,
    'a revoked certificate should offer no Revoke button');

  step('the dashboard counts them as succeeded');
  await page.locator('#nav').getByRole('link', { name: 'Dashboard' }).click();
  await waitText('.stat.success .count', '3');
  await page.locator('section').filter({ hasText: 'Recently issued certificates' }).locator('tbody tr').nth(2).waitFor();
  await page.locator('tr.recent-session').nth(2).waitFor();
  check((await page.locator('tr.recent-session .text-success').filter({ hasText: 'Upgrade Success' }).count()) === 3,
    'the recent sessions should show the three installs as Upgrade Success');
  await shot('02-dashboard');

  step('the CA page refuses a file that is not a certificate, in words, and takes a root');
  await page.locator('#nav').getByRole('link', { name: 'CA and trust' }).click();
  await page.getByRole('heading', { name: 'CAPF identity and trust stores' }).waitFor();
  await page.locator('.identity.current').waitFor();
  const upload = page.locator('form.upload[data-store="capf-trust"]');
  await upload.locator('input[type=file]').setInputFiles(NOT_A_CERT);
  await upload.getByRole('button', { name: 'Upload' }).click();
  const refused = page.locator('section').filter({ hasText: 'CAPF-trust' }).locator('.alert.error');
  await refused.waitFor();
  const words = (await refused.textContent()).trim();
  check(words.includes('not-a-cert.pem is neither a PEM nor a DER certificate'), `the refusal should be the API's words: '${words}'`);
  console.log(`   refused: ${words}`);
  await shot('06-ca-refused');
  await upload.locator('input[type=file]').setInputFiles(ROOT_PEM);
  await upload.locator('input[name=label]').fill('Console test root');
  await upload.getByRole('button', { name: 'Upload' }).click();
  await waitText('#trust-capf-trust tr', 'Console test root');
  await shot('06-ca');
  await page.locator('#trust-capf-trust tr').filter({ hasText: 'Console test root' }).getByRole('button', { name: 'Remove' }).click();
  await waitText('section .alert.ok', 'Removed');
  await page.locator('#trust-capf-trust tr').filter({ hasText: 'Console test root' }).waitFor({ state: 'detached' });

  step('the offline CA section lists no waiting request and, with no offline CA chain set, refuses an import in words');
  await waitText('#offline-requests', 'No request waits for the offline CA.');
  await page.locator('#offline-import input[type=file]').setInputFiles(NOT_A_CERT);
  await page.locator('#offline-import').getByRole('button', { name: 'Import' }).click();
  await waitText('#offline-message .alert.error', 'names no CA chain');
  console.log(`   refused: ${(await page.locator('#offline-message').textContent()).trim()}`);

  step('the CAPF certificate: the request downloads, a wrong import is refused in words, regenerate, retire');
  const csrDownload = page.waitForEvent('download');
  await page.locator('#download-csr').click();
  check((await (await csrDownload).suggestedFilename()) === 'capf.csr', 'the request should download as capf.csr');
  const identityImport = page.locator('#identity-import');
  await identityImport.locator('input[type=file]').setInputFiles(ROOT_PEM);
  await identityImport.getByRole('button', { name: 'Import' }).click();
  await waitText('#identity-message .alert.error li', 'another key than the CAPF key');
  console.log(`   refused: ${(await page.locator('#identity-message').textContent()).trim()}`);
  check((await page.locator('#identities .identity').count()) === 1, 'a refused import should change nothing');
  const before = (await page.locator('#identities .identity.current h3').textContent()).trim();
  const regenerate = page.locator('#identity-regenerate');
  await regenerate.locator('select[name=key]').selectOption('ec:p256');
  await regenerate.locator('input[name=subject]').fill('CN=CAPF-console-2,O=opencapf e2e,C=NZ');
  await regenerate.locator('input[name=days]').fill('365');
  await regenerate.getByRole('button', { name: 'Regenerate' }).click();
  await waitText('#identity-message .alert.ok', 'New CAPF certificate');
  await waitText('#identities .identity.current h3', 'CAPF-console-2');
  // Both trust stores now hold the new certificate as current and the old one as previous.
  for (const store of ['capf-trust', 'callmanager-trust']) {
    await waitText(`#trust-${store} tr`, 'CAPF-console-2');
    await waitText(`#trust-${store} tr`, 'capf (previous)');
  }
  await page.locator('#identities .identity').nth(1).waitFor();
  check((await page.locator('#identities .identity:not(.current) h3').textContent()).trim().startsWith(before.replace(/ current$/, '')),
    'the previous certificate should stay listed until retired');
  await shot('06-ca-regenerated');
  await page.locator('#identities .identity:not(.current)').getByRole('button', { name: 'Retire' }).click();
  await waitText('#identity-message .alert.ok', 'Retired');
  await page.locator('#identities .identity:not(.current)').waitFor({ state: 'detached' });
  await page.locator('#trust-capf-trust tr').filter({ hasText: 'capf (previous)' }).waitFor({ state: 'detached' });

  step('the issuer page: CAPF mode ready, a switch it cannot make refused in words, one it can made, a renewal');
  await page.locator('#nav').getByRole('link', { name: 'Issuer' }).click();
  await page.getByRole('heading', { name: 'Issuer', exact: true }).waitFor();
  await waitText('#issuer-current dd', 'capf');
  await page.locator('#issuer-ready').waitFor();
  const issuerForm = page.locator('#issuer-change');
  await issuerForm.locator('select[name=mode]').selectOption('offline');
  await issuerForm.locator('input[name=ca_chain]').fill(ROOT_PEM);  // its root is in no trust store
  await issuerForm.getByRole('button', { name: 'Switch' }).click();
  await waitText('#issuer-message .alert.error', 'cannot switch to offline mode; nothing changed');
  check((await page.locator('#issuer-message .alert.error li').count()) >= 1, 'the refusal should list what is missing');
  console.log(`   refused: ${(await page.locator('#issuer-message').textContent()).trim()}`);
  await waitText('#issuer-current dd', 'capf');
  await shot('08-issuer-refused');
  await issuerForm.locator('select[name=mode]').selectOption('capf');
  await issuerForm.locator('input[name=ca_chain]').fill('');
  await issuerForm.locator('input[name=timeout]').fill('25');
  await issuerForm.getByRole('button', { name: 'Switch' }).click();
  await waitText('#issuer-message .alert.ok', 'Issuer set to capf');
  // A window of one day: the phones' new LSCs expire much later, so nothing is scheduled.
  await page.locator('#renew input[name=within_days]').fill('1');
  await page.locator('#renew').getByRole('button', { name: 'Schedule renewals' }).click();
  await waitText('#renew-result .alert.ok', '0 devices scheduled to renew');
  await shot('08-issuer');

  step('the reports page shows the CAPF report and downloads it');
  await page.locator('#nav').getByRole('link', { name: 'Reports' }).click();
  await page.getByRole('heading', { name: 'Reports' }).waitFor();
  await page.locator('#report-capf').click();
  await waitText('#report-preview h3', 'CAPF report (3 rows)');
  check((await page.locator('#report-preview .badge.success').count()) === 3, 'the report should show three successes');
  const download = page.waitForEvent('download');
  await page.locator('section').filter({ hasText: 'CAPF report' }).getByRole('button', { name: 'Download CSV' }).click();
  check((await (await download).suggestedFilename()) === 'capf-report.csv', 'the report should download as CSV');
  await shot('07-reports');

  step('the cluster page lists this server as a node, its SQLite registry and no claims');
  await page.locator('#nav').getByRole('link', { name: 'Cluster' }).click();
  await page.getByRole('heading', { name: 'Cluster', exact: true }).waitFor();
  await waitText('#cluster-registry dd', 'sqlite');
  await waitText('#cluster-registry', 'registry.db');
  check((await page.locator('#cluster-nodes tbody tr').count()) === 1, 'the running server should be the one node listed');
  await waitText('#cluster-nodes td', '127.0.0.1:');
  await waitText('#cluster-claims', 'No device is claimed now.');
  await shot('09-cluster');

  step('log out');
  await page.locator('#logout').click();
  await page.locator('#login-form').waitFor();
  check((await page.evaluate(() => sessionStorage.getItem('opencapf.token'))) === null, 'the token should be forgotten');
  await page.goto(`${URL_BASE}#/devices`);
  await page.waitForURL(/#\/login$/);

  check(problems.length === 0, `the page reported errors:\n${problems.join('\n')}`);
  check(outside.length === 0, `the console asked for something outside opencapf: ${outside.join(', ')}`);
  step('passed');
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
