// The arithmetic of the virtualized table, kept free of the DOM so it can be tested: which rows
// a scroll position shows, and which pages of rows must be fetched for them.

/** Browsers cap element heights (WebKit near 2^25 px): past this the scrollbar is scaled. */
export const MAX_SCROLL_HEIGHT = 8_000_000;

export interface RowWindow {
  /** First row index shown. */
  first: number;
  /** How many rows to render (one extra for the partly visible row). */
  count: number;
  /** Pixels the first row is shifted up by. */
  offset: number;
  /** Height of the scrollable content. */
  height: number;
}

/** The rows visible at `scrollTop` in a viewport of `viewport` pixels over `total` rows. */
export function rowWindow(scrollTop: number, viewport: number, total: number, rowHeight: number, maxHeight = MAX_SCROLL_HEIGHT): RowWindow {
  const visible = Math.max(1, Math.ceil(viewport / rowHeight));
  const natural = total * rowHeight;
  if (total <= 0) return { first: 0, count: 0, offset: 0, height: 0 };
  if (natural <= maxHeight) {
    const top = Math.max(0, Math.min(scrollTop, Math.max(0, natural - viewport)));
    const first = Math.floor(top / rowHeight);
    return { first, count: Math.min(visible + 1, total - first), offset: top - first * rowHeight, height: natural };
  }
  // Scaled: the scrollbar's range maps linearly onto the rows.
  const range = maxHeight - viewport;
  const fraction = range > 0 ? Math.max(0, Math.min(1, scrollTop / range)) : 0;
  const first = Math.round(fraction * Math.max(0, total - visible));
  return { first, count: Math.min(visible + 1, total - first), offset: 0, height: maxHeight };
}

/** Page numbers (of `pageSize` rows) that rows `first .. first+count` touch. */
export function pagesFor(first: number, count: number, pageSize: number): number[] {
  if (count <= 0) return [];
  const from = Math.floor(first / pageSize);
  const to = Math.floor((first + count - 1) / pageSize);
  const pages: number[] = [];
  for (let p = from; p <= to; p++) pages.push(p);
  return pages;
}

/** A bounded cache of fetched pages, dropping the least recently used. */
export class PageCache<T> {
  private pages = new Map<number, T[]>();
  constructor(
    readonly pageSize: number,
    private readonly capacity = 60,
  ) {}

  row(index: number): T | undefined {
    const page = Math.floor(index / this.pageSize);
    const rows = this.pages.get(page);
    if (!rows) return undefined;
    // Refresh its place in the LRU order.
    this.pages.delete(page);
    this.pages.set(page, rows);
    return rows[index % this.pageSize];
  }

  has(page: number): boolean {
    return this.pages.has(page);
  }

  put(page: number, rows: T[]): void {
    this.pages.delete(page);
    this.pages.set(page, rows);
    while (this.pages.size > this.capacity) {
      const oldest = this.pages.keys().next().value;
      if (oldest === undefined) break;
      this.pages.delete(oldest);
    }
  }

  /** Replaces every cached copy of a row for which `same` holds. */
  update(same: (row: T) => boolean, next: T): void {
    for (const rows of this.pages.values()) {
      const i = rows.findIndex(same);
      if (i >= 0) rows[i] = next;
    }
  }

  clear(): void {
    this.pages.clear();
  }

  get size(): number {
    return this.pages.size;
  }
}
