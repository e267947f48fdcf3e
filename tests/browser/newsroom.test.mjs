// The newsroom in a real browser: first-run setup, sign out and in, write
// a story with a feature image while the live preview renders the
// Markdown, publish it, find it on the home page and its own page with the
// image, edit it, unpublish it (404 after). The console must show no CSP
// violation and no script error on any page. Screenshots of the editor and
// the published page are saved under the build folder on every run.
//
//   node --test tests/browser/
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import {
  chromiumMissing, launchBrowser, makePng, screenshotPath, startGazette,
  watchPage,
} from "./harness.mjs";

const skip = chromiumMissing();
const ADMIN = { name: "Rhea Reporter", email: "rhea@example.org",
                password: "a long test password" };
const TITLE = "Lighthouse keepers return to Gull Point";
const EDITED = "Lighthouse keepers return to Gull Point for good";

describe("newsroom", { skip: skip || false }, () => {
  let gz, browser, context, page, watch;
  let articleUrl = null;
  let editUrl = null;

  before(async () => {
    gz = await startGazette();
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280,
                                                     height: 900 } });
    page = await context.newPage();
    watch = watchPage(page);
  });

  after(async () => {
    if (browser) await browser.close();
    if (gz) {
      const code = await gz.stop();
      assert.equal(code, 0, "gazette stops cleanly on SIGTERM");
    }
  });

  async function noViolations(where) {
    const problems = await watch.all();
    assert.deepEqual(problems, [], `${where}: CSP violations or errors`);
  }

  test("first run leads to setup and creates the admin", async () => {
    await page.goto(gz.base + "/admin");
    assert.match(page.url(), /\/admin\/setup$/);
    await page.getByLabel("Your name").fill(ADMIN.name);
    await page.getByLabel("Email").fill(ADMIN.email);
    await page.getByLabel("Password", { exact: true }).fill(ADMIN.password);
    await page.getByLabel("Password again").fill(ADMIN.password);
    await Promise.all([
      page.waitForURL("**/admin/stories"),
      page.getByRole("button", { name: "Create admin account" }).click(),
    ]);
    assert.equal(await page.locator("h1").textContent(), "Stories");
    assert.match(await page.locator(".nr-user__name").textContent(),
                 /Rhea Reporter/);
    const again = await page.request.get(gz.base + "/admin/setup");
    assert.equal(again.status(), 404, "setup is closed for good");
    await noViolations("setup");
  });

  test("sign out, then sign in with the keyboard", async () => {
    await Promise.all([
      page.waitForURL("**/admin/login?signed_out=1"),
      page.getByRole("button", { name: "Sign out" }).click(),
    ]);
    assert.ok(await page.getByText("You are signed out.").isVisible());
    // The skip link is the first thing Tab reaches.
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement.textContent),
                 "Skip to content");
    await page.getByLabel("Email").fill(ADMIN.email);
    await page.getByLabel("Password").fill("not the password");
    await page.getByLabel("Password").press("Enter");
    await page.waitForLoadState("load");
    assert.ok(await page.getByText("Email or password is incorrect.")
      .isVisible());
    await page.getByLabel("Password").fill(ADMIN.password);
    await Promise.all([
      page.waitForURL("**/admin/stories"),
      page.getByLabel("Password").press("Enter"),
    ]);
    await noViolations("sign in");
  });

  test("write a story with a feature image and a live preview",
       async () => {
    await page.getByRole("link", { name: "New story" }).first().click();
    await page.waitForURL("**/admin/stories/new");
    await page.getByLabel("Title").fill(TITLE);
    // The slug placeholder follows the title.
    assert.equal(await page.locator("#f-slug").getAttribute("placeholder"),
                 "lighthouse-keepers-return-to-gull-point");
    await page.getByLabel("Excerpt").fill(
      "After twenty years of automation, people are back on the rock.");
    const body = "## Why now\n\nThe **new lamp** needs a human eye.\n\n" +
      "> It is good to be back.\n\n- Two keepers\n- One cat";
    await page.locator("#f-markdown").fill(body);
    // The live preview renders the Markdown as the story page will.
    const live = page.locator("[data-live-body]");
    await live.locator("h2", { hasText: "Why now" }).waitFor();
    assert.equal(await live.locator("strong").textContent(), "new lamp");
    assert.equal(await live.locator("blockquote").count(), 1);
    assert.equal(await live.locator("li").count(), 2);
    assert.match(await page.locator("[data-live-status]").textContent(),
                 /words/);
    // "Insert image" uploads a picture and puts its Markdown at the cursor.
    await page.locator("#f-markdown").press("Control+End");
    const [chooser] = await Promise.all([
      page.waitForEvent("filechooser"),
      page.getByRole("button", { name: "Insert image" }).click(),
    ]);
    await chooser.setFiles({ name: "keepers.png", mimeType: "image/png",
                             buffer: makePng(20, 10, [200, 160, 40]) });
    await live.locator("img").waitFor();
    const md = await page.locator("#f-markdown").inputValue();
    assert.match(md, /!\[keepers\]\(\/media\/[0-9a-f]{64}\.png\)\n*$/);
    assert.ok(await live.locator("img").evaluate((el) => el.complete &&
                                                 el.naturalWidth === 20));
    await page.locator("#f-tags").fill("Coast, Gull Point");
    await page.locator("#f-image").setInputFiles({
      name: "lamp.png", mimeType: "image/png",
      buffer: makePng(48, 32, [30, 90, 160]),
    });
    await page.getByLabel("Alt text").fill("The lamp room at dusk");
    await page.getByLabel("Caption").fill("Gull Point light, restored.");
    // The chosen picture shows before it is sent.
    await page.locator(".nr-thumb img").first().waitFor();
    await page.locator("#f-markdown").focus();
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: screenshotPath("newsroom-editor.png"),
                            fullPage: true });
    await noViolations("editor");
  });

  test("publish it", async () => {
    await Promise.all([
      page.waitForURL(/\/admin\/stories\/\d+\?done=published$/),
      page.getByRole("button", { name: "Publish now" }).click(),
    ]);
    editUrl = page.url().replace(/\?.*$/, "");
    assert.ok(await page.getByText("Published. Readers can see it now.")
      .isVisible());
    const view = page.getByRole("link", { name: /View on site/ });
    // The editor's link carries the story's version, so this browser's
    // cache (public pages are cacheable for a while) cannot show an older
    // copy to the editor.
    const href = await view.getAttribute("href");
    assert.match(href, /^\/articles\/lighthouse-keepers-return-to-gull-point\?v=\d+$/);
    articleUrl = href.replace(/\?.*$/, "");
    await noViolations("published");
  });

  test("readers see it on the home page and its page, with the image",
       async () => {
    await page.goto(gz.base + "/");
    const lead = page.locator(`a[href$="${articleUrl}"]`).first();
    await lead.waitFor();
    assert.match(await page.locator("main").textContent(), new RegExp(TITLE));
    const res = await page.goto(gz.base + articleUrl);
    assert.equal(res.status(), 200);
    assert.equal(await page.locator("h1").textContent(), TITLE);
    const img = page.locator("img.post__image");
    assert.equal(await img.getAttribute("alt"), "The lamp room at dusk");
    assert.match(await img.getAttribute("src"), /^\/media\/[0-9a-f]{64}\.png$/);
    assert.equal(await img.getAttribute("width"), "48");
    const loaded = await img.evaluate((el) => el.complete &&
                                      el.naturalWidth === 48);
    assert.ok(loaded, "the uploaded image loads");
    assert.match(await page.locator(".post__caption").textContent(),
                 /Gull Point light, restored\./);
    assert.equal(await page.locator(".post__body h2").textContent(),
                 "Why now");
    await page.screenshot({ path: screenshotPath("newsroom-published.png"),
                            fullPage: true });
    await noViolations("article page");
  });

  // A reader who has not seen the page before (a browser with an empty
  // cache): what the server serves now.
  async function asReader(fn) {
    const reader = await browser.newContext();
    const p = await reader.newPage();
    const w = watchPage(p);
    try {
      await fn(p);
      assert.deepEqual(await w.all(), [], "reader: CSP violations or errors");
    } finally {
      await reader.close();
    }
  }

  test("edit it: the change is live at once", async () => {
    await page.goto(editUrl);
    await page.getByLabel("Title").fill(EDITED);
    await page.locator("#f-markdown").fill("## Why now\n\nUpdated: the " +
                                           "*keepers* moved in today.");
    await page.locator("[data-live-body] em", { hasText: "keepers" })
      .waitFor();
    await Promise.all([
      page.waitForURL(/\?done=saved$/),
      page.getByRole("button", { name: "Update" }).click(),
    ]);
    await asReader(async (p) => {
      await p.goto(gz.base + articleUrl);
      assert.equal(await p.locator("h1").textContent(), EDITED);
      assert.match(await p.locator(".post__body").textContent(),
                   /moved in today/);
      assert.equal(await p.locator("img.post__image").count(), 1,
                   "the feature image stays");
    });
    // The editor's own "View on site" shows the new version too.
    await Promise.all([
      page.waitForURL(/\/articles\//),
      page.getByRole("link", { name: /View on site/ }).click(),
    ]);
    assert.equal(await page.locator("h1").textContent(), EDITED);
    await noViolations("edit");
  });

  test("unpublish it: readers get a 404", async () => {
    await page.goto(editUrl);
    await Promise.all([
      page.waitForURL(/\?done=unpublished$/),
      page.getByRole("button", { name: /Unpublish/ }).click(),
    ]);
    assert.ok(await page.getByText(/Unpublished/).first().isVisible());
    await asReader(async (p) => {
      const res = await p.goto(gz.base + articleUrl);
      assert.equal(res.status(), 404);
      await p.goto(gz.base + "/");
      assert.equal(await p.locator(`a[href$="${articleUrl}"]`).count(), 0);
    });
    await noViolations("unpublish");
  });

  test("the site's time zone: set in settings, used by the schedule field",
       async () => {
    await page.goto(gz.base + "/admin/settings");
    await page.getByLabel("Time zone").fill("Mars/Olympus");
    await page.getByRole("button", { name: /Save settings/ }).click();
    await page.waitForLoadState("load");
    assert.match(await page.locator("#f-timezone-error").textContent(),
                 /not a time zone/);
    await page.getByLabel("Time zone").fill("Europe/Berlin");
    await Promise.all([
      page.waitForURL(/\?done=saved$/),
      page.getByRole("button", { name: /Save settings/ }).click(),
    ]);
    await page.screenshot({ path: screenshotPath("newsroom-settings-timezone.png"),
                            fullPage: true });
    // A reader of the newsroom in New York: the hint converts the
    // Berlin time typed into the field to theirs.
    const ny = await browser.newContext({
      storageState: await context.storageState(),
      timezoneId: "America/New_York", locale: "en-GB",
      viewport: { width: 1280, height: 900 } });
    const p = await ny.newPage();
    await p.goto(editUrl);
    assert.match(await p.locator("label[for=f-publish_at]").textContent(),
                 /Europe\/Berlin/);
    const year = new Date().getUTCFullYear() + 1;
    await p.locator("#f-publish_at").fill(`${year}-01-15T18:00`);
    assert.match(await p.locator("[data-local-time]").textContent(),
                 /12:00 your time/, "18:00 in Berlin is 12:00 in New York");
    await p.locator("#f-publish_at").fill(`${year}-07-15T18:00`);
    assert.match(await p.locator("[data-local-time]").textContent(),
                 /12:00 your time/, "summer: both zones one hour on");
    await p.screenshot({ path: screenshotPath("newsroom-schedule-timezone.png"),
                        fullPage: true });
    await ny.close();
    await noViolations("time zone");
  });
});

if (skip) {
  test("newsroom browser tests", { skip }, () => {});
}
