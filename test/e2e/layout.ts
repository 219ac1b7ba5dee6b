import type { Page } from 'playwright-core';

/** Pixels the page is wider than its viewport (0 when nothing sticks out sideways); typed without the DOM library. */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => {
    const root = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
    return root.scrollWidth - root.clientWidth;
  });
}
