/**
 * The study pages in headless Chromium: a small study submitted from the form shows its progress over
 * server-sent events and its heatmaps as cells finish, without a reload; the cells equal the study's results.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from '../helpers/app';
import { haveChromium, launchBrowser, type Browser } from '../helpers/browser';
import { registerSyntheticSet, waitForJob, type RegisteredSet } from '../helpers/flow';

// Studies arrive with issue 11 (POST/GET /v1/studies); until this build has them (its committed spec, which
// a test keeps current, lists the route), the pages submit alignments and this file has nothing to test.
const haveStudies = readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8').includes('\n  /v1/studies:\n');
if (!haveStudies) console.warn('study browser test SKIPPED: this build has no /v1/studies route yet (issue 11)');

const SUBJECT = 'subj01';
const ROIS = ['prf-visualrois/V1v', 'prf-visualrois/hV4'];

describe.skipIf(!haveChromium || !haveStudies)('study pages in headless Chromium', () => {
  let app: TestApp;
  let set: RegisteredSet;
  let wide: RegisteredSet;
  let browser: Browser;

  beforeAll(async () => {
    app = await startTestApp({ ALIGN_WORKERS: '2' });
    // Written first: writing the wide set blocks this process (also the server) for seconds.
    wide = await registerSyntheticSet(app, 'study-blocker', { layers: [{ name: 'wide', units: 1500 }] });
    set = await registerSyntheticSet(app, 'study-ui', {
      layers: [
        { name: 's.block1', units: 12 },
        { name: 's.block2', units: 16 },
      ],
    });
    const jobs: string[] = [];
    for (const id of set.layerIds) {
      const res = await app.request(`/v1/layers/${id}/saes`, {
        method: 'POST',
        auth: true,
        json: { k: 4, expansion: 2, epochs: 8, lr: 0.004, batchSize: 64, seed: 1 },
      });
      jobs.push((await res.json()).jobId);
    }
    for (const j of jobs) expect((await waitForJob(app, j)).state).toBe('completed');
    browser = await launchBrowser();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('submits a study and shows its progress and heatmaps without a reload', async () => {
    const page = browser.page;
    // Both alignment workers busy at first, so the study is seen waiting before its cells run.
    const blockers: string[] = [];
    for (const preset of ['paper', 'paper-centred']) {
      const res = await app.request('/v1/alignments', {
        method: 'POST',
        auth: true,
        json: {
          datasetId: wide.datasetId,
          subject: SUBJECT,
          atlas: 'prf-visualrois',
          layerIds: wide.layerIds,
          preset,
          folds: { k: 10, seed: 1 },
        },
      });
      blockers.push((await res.json()).runs[0].jobId);
    }
    for (const j of blockers) await waitForJob(app, j, ['running']);
    await page.goto(`${app.url}/#/runs`);
    await page.locator('#study-form').waitFor();
    await page.evaluate((k) => (globalThis as any).sessionStorage.setItem('brain-align.apiKey', k), TEST_ADMIN_KEY);
    await page.evaluate(() => ((globalThis as { marker?: number }).marker = 7));
    // The form's subjects and ROIs come from the chosen dataset: wait for its refill.
    const refilled = page.waitForResponse((r) => r.url().endsWith(`/v1/datasets/${set.datasetId}`));
    await page.selectOption('#s-dataset', set.datasetId);
    await refilled;
    await page.waitForTimeout(200);
    for (const id of set.layerIds) await page.check(`#study-form input[name=layerIds][value="${id}"]`);
    for (const r of ROIS) await page.check(`#study-form input[name=rois][value="${r}"]`);
    await page.fill('#s-name', 'browser study');
    await page.evaluate(() => {
      const g = globalThis as any; // in the page
      const seen: string[] = [];
      g.seen = seen;
      new g.MutationObserver(() => {
        const row = g.document.querySelector('.study-progress');
        const now = row?.dataset.state && `${row.dataset.state}:${row.dataset.fraction}`;
        if (now && seen.at(-1) !== now) seen.push(now);
      }).observe(g.document.body, { subtree: true, attributes: true, childList: true });
    });
    await page.click('#study-form button[type=submit]');
    await page.locator('.study-progress').waitFor({ timeout: 30_000 });
    const studyId = new URL(page.url()).hash.match(/#\/study\/([\w-]+)/)![1];
    for (const j of blockers) await app.request(`/v1/jobs/${j}`, { method: 'DELETE', auth: true });
    await page.locator('.study-progress[data-state=succeeded]').waitFor({ timeout: 180_000 });
    await page.locator('#heat-difference .cells_marks text').first().waitFor({ timeout: 30_000 });
    const seen = await page.evaluate(() => (globalThis as { seen?: string[] }).seen!);
    const fractions = seen.map((x) => Number(x.split(':')[1]));
    expect(fractions[0]).toBeLessThan(1);
    expect(fractions.at(-1)).toBe(1);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(new Set(fractions).size).toBeGreaterThanOrEqual(2);
    expect(await page.evaluate(() => (globalThis as { marker?: number }).marker)).toBe(7);

    // The drawn cells are the study's results (layer by layer, ROI by ROI).
    const study = await (await app.request(`/v1/studies/${studyId}`)).json();
    expect(study.state).toBe('succeeded');
    const rois: string[] = study.inputs.rois.map((r: { name: string }) => r.name);
    const value = (layerId: string, rep: string, roi: string) =>
      study.results.find(
        (r: any) => r.subject === SUBJECT && r.layerId === layerId && r.representation === rep && r.roi === roi,
      ).value as number;
    for (const rep of ['neurons', 'sae', 'difference']) {
      const expected = set.layerIds.flatMap((l) =>
        rois.map((roi) =>
          (rep === 'difference' ? value(l, 'sae', roi) - value(l, 'neurons', roi) : value(l, rep, roi)).toFixed(3),
        ),
      );
      expect(await page.locator(`#heat-${rep} .cells_marks text`).allTextContents()).toEqual(expected);
    }

    // SAE - neurons marks q as the scores page does: the study's comparison q per cell, outlined below 0.05.
    const cmp = await (await app.request(`/v1/studies/${studyId}/comparisons?a=neurons&b=sae`)).json();
    const qOf = (layerId: string, roi: string) =>
      cmp.cells.find((c: any) => c.subject === SUBJECT && c.layerId === layerId && c.roi === roi).q as number | null;
    const diff = page.locator('#heat-difference');
    expect(await diff.textContent()).toContain('outlined: q < 0.05');
    const significant = set.layerIds.flatMap((l) => rois.filter((r) => (qOf(l, r) ?? 1) < 0.05));
    expect(await diff.locator('.sig_marks path').count()).toBe(significant.length);
    await diff.locator('.rects_marks path').first().hover();
    const tip = page.locator('#vg-tooltip-element');
    await expect.poll(() => tip.textContent(), { timeout: 10_000 }).toContain('q (BH)');
    const q0 = qOf(set.layerIds[0], rois[0]);
    if (q0 !== null) expect(await tip.textContent()).toContain(Number(q0.toPrecision(3)).toString());
    // Legends name the quantity and the preset.
    expect(await page.locator('#heat-neurons .role-legend-title').first().textContent()).toMatch(
      /ROI mean of per-voxel cosine.*paper preset/,
    );
    expect(await diff.locator('.role-legend-title').first().textContent()).toMatch(/SAE - neurons.*per-voxel cosine/);
    expect(browser.errors).toEqual([]);
  }, 300_000);
});
