// Story history and the trash in a real browser (issue 10, item 2): an
// editor saves a story twice, opens its history, compares the two
// revisions (the changed words marked), restores the first, deletes the
// story and restores it from the trash. No CSP violation or script error
// on any page; screenshots of the history, the diff and the trash are
// saved under the build folder.
//
//   node --test tests/browser/
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import {
  chromiumMissing, launchBrowser, screenshotPath, startGazette, watchPage,
} from "./harness.mjs";

const skip = chromiumMissing();
const ED = { email: "eddie@example.org", password: "a long test password" };

describe("history and trash", { skip: skip || false }, () => {
  let gz, browser, page, watch;

  before(async () => {
    gz = await startGazette();
    const add = gz.cli(["user", "add", "--email", ED.email, "--name",
                        "Eddie Editor", "--role", "editor"],
                       ED.password + "\n");
    assert.equal(add.status, 0, add.stderr);
    browser = await launchBrowser();
    const context = await browser.newContext({ viewport: { width: 1280,
                                                           height: 900 } });
    page = await context.newPage();
    watch = watchPage(page);
  });

  after(async () => {
    if (browser) await browser.close();
    if (gz) assert.equal(await gz.stop(), 0);
  });

  async function noViolations(where) {
    assert.deepEqual(await watch.all(), [], `${where}: CSP or errors`);
  }

  test("save twice, compare, restore, trash and back", async () => {
    await page.goto(gz.base + "/admin/login");
    await page.getByLabel("Email").fill(ED.email);
    await page.getByLabel("Password").fill(ED.password);
    await Promise.all([page.waitForURL("**/admin/stories"),
                       page.getByLabel("Password").press("Enter")]);
    await page.goto(gz.base + "/admin/stories/new");
    await page.getByLabel("Title").fill("Ferry timetable for the winter");
    await page.locator("#f-markdown").fill(
      "The last ferry leaves at 22:40.\n\nTickets cost the same.");
    await Promise.all([page.waitForURL(/\/admin\/stories\/\d+\?done=/),
                       page.getByRole("button", { name: "Publish" })
                         .first().click()]);
    const edit = page.url().replace(/\?.*$/, "");
    await page.locator("#f-markdown").fill(
      "The last ferry leaves at 23:10.\n\nTickets cost the same.\n\n" +
      "A night bus meets it.");
    await Promise.all([page.waitForURL(/done=/),
                       page.getByRole("button", { name: /^(Save|Update)/ })
                         .first().click()]);
    await page.getByRole("link", { name: /History/ }).click();
    await page.waitForURL("**/history");
    assert.equal(await page.locator("h1").textContent(), "History");
    assert.equal(await page.locator("td.nr-table__title").count(), 2);
    await page.screenshot({ path: screenshotPath("newsroom-history.png"),
                            fullPage: true });
    await page.getByRole("link", { name: /Compare/ }).click();
    await page.waitForURL(/from=1&to=2/);
    assert.equal(await page.locator(".nr-diff del", { hasText: "22:40." })
      .count(), 1);
    assert.equal(await page.locator(".nr-diff ins", { hasText: "23:10." })
      .count(), 1);
    // Changed words are marked in colour.
    const bg = await page.locator(".nr-diff ins").first().evaluate(
      (el) => getComputedStyle(el).backgroundColor);
    assert.notEqual(bg, "rgba(0, 0, 0, 0)");
    await page.screenshot({ path: screenshotPath("newsroom-diff.png"),
                            fullPage: true });
    await noViolations("history");
    await page.goBack();
    await Promise.all([page.waitForURL(/done=restored/),
                       page.getByRole("button", { name: /Restore/ })
                         .first().click()]);
    assert.equal(await page.locator("td.nr-table__title").count(), 3);
    // Delete: to the trash, then back.
    await page.goto(edit + "/delete");
    await Promise.all([page.waitForURL(/done=deleted/),
                       page.getByRole("button", { name: "Delete story" })
                         .click()]);
    await page.getByRole("link", { name: "Trash" }).click();
    await page.waitForURL("**/admin/trash");
    assert.match(await page.locator("td.nr-trash__left").textContent(),
                 /30 days left/);
    await page.screenshot({ path: screenshotPath("newsroom-trash.png"),
                            fullPage: true });
    await Promise.all([page.waitForURL(/done=restored/),
                       page.getByRole("button", { name: /Restore/ })
                         .click()]);
    assert.match(await page.locator(".nr-notice--ok").textContent(),
                 /Restored/);
    await noViolations("trash");
  });
});
