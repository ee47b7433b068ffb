// tests/lib/browser.js — Debian's Chromium, headless, for the tests/browser
// files: no sandbox (tests run as root in containers), no GPU, no QUIC, and
// none of its own traffic (updates, sync, background requests), so every
// request it makes is one the page made.
import { chromium } from 'playwright-core';

export function launchChromium() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
