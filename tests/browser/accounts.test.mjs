// Accounts in a real browser (issue 10, item 6): a writer opens their
// profile from the top bar, saves a bio and an avatar (a real file
// chooser upload), sees both on their author page, and a wrong current
// password is shown beside its field. The forgotten-password pages load
// from the sign-in page. No CSP violation or script error on any page;
// screenshots go under the build folder.
//
//   node --test tests/browser/
import assert from "node:assert/strict";
import fs from "node:fs";
import { after, before, describe, test } from "node:test";

import {
  chromiumMissing, launchBrowser, makePng, screenshotPath, startGazette,
  watchPage,
} from "./harness.mjs";

const skip = chromiumMissing();
const AN = { email: "ann@example.org", password: "a long test password" };

describe("accounts", { skip: skip || false }, () => {
  let gz, browser, page, watch;

  before(async () => {
    gz = await startGazette();
    const add = gz.cli(["user", "add", "--email", AN.email, "--name",
                        "Ann Author", "--role", "author"],
                       AN.password + "\n");
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

  test("forgot password pages", async () => {
    await page.goto(gz.base + "/admin/login");
    await page.getByRole("link", { name: "Forgot your password?" }).click();
    await page.waitForURL("**/admin/reset");
    await page.getByLabel("Email").fill("nobody@example.org");
    await Promise.all([page.waitForLoadState("load"),
                       page.getByRole("button", { name: "Send the link" })
                         .click()]);
    await page.locator("#reset-sent").waitFor();
    assert.deepEqual(await watch.all(), [], "reset: CSP or errors");
  });

  test("profile: bio, avatar, wrong password", async () => {
    await page.goto(gz.base + "/admin/login");
    await page.getByLabel("Email").fill(AN.email);
    await page.getByLabel("Password").fill(AN.password);
    await Promise.all([page.waitForURL("**/admin/stories"),
                       page.getByLabel("Password").press("Enter")]);
    await Promise.all([page.waitForURL("**/admin/profile"),
                       page.locator("a.nr-user__who").click()]);
    await page.getByLabel("Bio", { exact: true }).fill("Covers the harbour and its boats.");
    const file = screenshotPath("accounts-avatar.png");
    fs.writeFileSync(file, makePng(48, 48, [200, 80, 40]));
    await page.locator("#f-avatar").setInputFiles(file);
    await Promise.all([page.waitForURL("**/admin/profile?done=profile"),
                       page.getByRole("button", { name: "Save profile" })
                         .click()]);
    const src = await page.locator("img.nr-avatar--photo")
      .getAttribute("src");
    assert.match(src, /^\/media\/[0-9a-f]{64}\.png$/);
    await page.screenshot({ path: screenshotPath("accounts-profile.png"),
                            fullPage: true });

    await page.locator("#f-current_password").fill("not the password");
    await page.locator("#f-password").fill("a newer long password");
    await page.locator("#f-password2").fill("a newer long password");
    await Promise.all([page.waitForLoadState("load"),
                       page.getByRole("button", { name: "Change password" })
                         .click()]);
    await page.locator("#f-current_password-error").waitFor();

    await page.goto(gz.base + "/authors/ann-author");
    assert.equal(await page.locator(`img.avatar[src="${src}"]`).count(), 1);
    assert.ok((await page.textContent("main"))
      .includes("Covers the harbour and its boats."));
    const loaded = await page.locator("img.avatar").evaluate(
      (img) => img.complete && img.naturalWidth === 48);
    assert.ok(loaded, "the avatar image loads");
    await page.screenshot({ path: screenshotPath("accounts-author.png") });
    const problems = (await watch.all()).filter(
      (p) => !/status of 422/.test(p));
    assert.deepEqual(problems, [], "profile: CSP or errors");
  });
});
