// Browser test harness: starts the real gazette binary on a free port of
// 127.0.0.1 with a fresh database (after `init --demo`) and its own media
// folder in a temporary directory, and drives Debian's Chromium through
// playwright-core (from node_modules at the repository root).
//
//   import { startGazette, launchBrowser, chromiumMissing } from "./harness.mjs";
//   const gz = await startGazette();      // { base, dir, db, stop() }
//   const browser = await launchBrowser();
//   ...
//   await browser.close(); await gz.stop();
//
// The binary is $GAZETTE_BIN, else build/gazette; commands run with the
// repository root as working directory (templates/, static/, demo/), with
// an empty configuration file and no GAZETTE_* variable from the caller's
// environment, so nothing outside the test decides what is tested.
// Screenshots go to $GAZETTE_BUILD, else build/.

import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, "..", "..");
export const CHROMIUM = "/usr/bin/chromium";
export const BUILD_DIR = path.resolve(process.env.GAZETTE_BUILD ||
                                      path.join(ROOT, "build"));

export function gazetteBin() {
  return path.resolve(process.env.GAZETTE_BIN ||
                      path.join(ROOT, "build", "gazette"));
}

// A reason to skip, or null when the browser tests can run.
export function chromiumMissing() {
  if (!fs.existsSync(CHROMIUM)) {
    return `${CHROMIUM} is missing (apt-get install chromium)`;
  }
  if (!fs.existsSync(path.join(ROOT, "node_modules", "playwright-core"))) {
    return "node_modules/playwright-core is missing (npm ci)";
  }
  return null;
}

function cleanEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith("GAZETTE_")) env[k] = v;
  }
  return Object.assign(env, extra || {});
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitHealthy(base, proc, deadlineMs) {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (proc.exitCode !== null) {
      throw new Error(`gazette exited ${proc.exitCode} at start`);
    }
    try {
      const r = await fetch(base + "/healthz");
      if (r.status === 200) return;
    } catch (e) {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gazette did not answer ${base}/healthz in time`);
}

// Starts a server; demo: run `init --demo` first (else `init`).
export async function startGazette({ demo = true, env = {} } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gz-browser-"));
  const conf = path.join(dir, "empty.conf");
  const db = path.join(dir, "gazette.db");
  fs.writeFileSync(conf, "");
  const fullEnv = cleanEnv(Object.assign({
    GAZETTE_DATA_DIR: path.join(dir, "data"),
  }, env));
  const bin = gazetteBin();
  const base = ["--config", conf, "--db", db];
  const init = spawnSync(bin, [...base, "init", ...(demo ? ["--demo"] : [])],
                         { cwd: ROOT, env: fullEnv, encoding: "utf8" });
  if (init.status !== 0) {
    throw new Error(`gazette init failed: ${init.stderr}`);
  }
  const port = await freePort();
  const log = fs.openSync(path.join(dir, "server.log"), "a");
  const proc = spawn(bin, [...base, "--port", String(port), "serve"], {
    cwd: ROOT, env: fullEnv, stdio: ["ignore", log, log],
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitHealthy(url, proc, 10000);
  } catch (e) {
    proc.kill("SIGKILL");
    throw new Error(e.message + ": " +
                    fs.readFileSync(path.join(dir, "server.log"), "utf8")
                      .slice(-2000));
  }
  return {
    base: url,
    dir,
    db,
    proc,
    cli(args, input) {
      return spawnSync(bin, [...base, ...args], {
        cwd: ROOT, env: fullEnv, encoding: "utf8", input,
      });
    },
    // SIGTERM, then SIGKILL (this process only) if it hangs. Resolves to
    // the exit code.
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        const done = new Promise((r) => proc.once("exit", (code) => r(code)));
        proc.kill("SIGTERM");
        const timer = setTimeout(() => proc.kill("SIGKILL"), 10000);
        await done;
        clearTimeout(timer);
      }
      fs.closeSync(log);
      fs.rmSync(dir, { recursive: true, force: true });
      return proc.exitCode;
    },
  };
}

export async function launchBrowser() {
  const { chromium } = await import(
    path.join(ROOT, "node_modules", "playwright-core", "index.mjs"));
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu",
           "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--no-first-run"],
  });
}

// Watches a page for what the CSP blocked and for script errors: console
// messages about the Content Security Policy, securitypolicyviolation
// events (recorded by an init script, which the CSP does not apply to),
// and uncaught exceptions.
export function watchPage(page) {
  const problems = [];
  page.on("console", (m) => {
    const t = m.text();
    if (/Content Security Policy|Refused to (load|execute|apply|frame)/i
        .test(t)) {
      problems.push(`console ${m.type()}: ${t}`);
    }
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("dialog", (d) => d.accept());
  page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      const list = JSON.parse(sessionStorage.getItem("gz-csp") || "[]");
      list.push(`${e.violatedDirective} ${e.blockedURI} at ${e.sourceFile}` +
                `:${e.lineNumber}`);
      sessionStorage.setItem("gz-csp", JSON.stringify(list));
    });
  });
  return {
    problems,
    async all() {
      let csp = [];
      try {
        csp = await page.evaluate(
          () => JSON.parse(sessionStorage.getItem("gz-csp") || "[]"));
      } catch (e) {
        csp = [];
      }
      return problems.concat(csp.map((v) => "CSP violation: " + v));
    },
  };
}

// A valid PNG of one colour, made by hand (no image library needed).
export function makePng(width, height, [r, g, b]) {
  const crcTable = new Int32Array(256).map((_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c;
  });
  const crc32 = (buf) => {
    let c = -1;
    for (const byte of buf) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
    return (c ^ -1) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  const row = Buffer.concat([Buffer.from([0]),
    Buffer.from(new Array(width).fill([r, g, b]).flat())]);
  const raw = Buffer.concat(new Array(height).fill(row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr), chunk("IDAT", zlib.deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

export function screenshotPath(name) {
  fs.mkdirSync(BUILD_DIR, { recursive: true });
  return path.join(BUILD_DIR, name);
}
