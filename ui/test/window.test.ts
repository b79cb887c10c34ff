import { describe, expect, it } from "vitest";
import { MAX_SCROLL_HEIGHT, PageCache, pagesFor, rowWindow } from "../src/table/window";

describe("rowWindow", () => {
  it("shows the rows under the scroll position", () => {
    const w = rowWindow(440, 400, 1000, 44);
    expect(w.first).toBe(10);
    expect(w.offset).toBe(0);
    expect(w.count).toBe(11);
    expect(w.height).toBe(44_000);
  });

  it("shifts the first row by the part scrolled past", () => {
    const w = rowWindow(450, 400, 1000, 44);
    expect(w.first).toBe(10);
    expect(w.offset).toBe(10);
  });

  it("never runs past the last row", () => {
    const w = rowWindow(10_000_000, 400, 20, 44);
    expect(w.first + w.count).toBeLessThanOrEqual(20);
    expect(w.count).toBeGreaterThan(0);
  });

  it("scales the scrollbar for a million rows and reaches both ends", () => {
    const top = rowWindow(0, 440, 1_000_000, 44);
    expect(top.height).toBe(MAX_SCROLL_HEIGHT);
    expect(top.first).toBe(0);
    const bottom = rowWindow(MAX_SCROLL_HEIGHT - 440, 440, 1_000_000, 44);
    expect(bottom.first + bottom.count).toBe(1_000_000);
    const middle = rowWindow((MAX_SCROLL_HEIGHT - 440) / 2, 440, 1_000_000, 44);
    expect(Math.abs(middle.first - 500_000)).toBeLessThan(10);
  });

  it("has nothing to show for an empty table", () => {
    expect(rowWindow(0, 400, 0, 44).count).toBe(0);
  });
});

describe("pagesFor", () => {
  it("lists every page the visible rows touch", () => {
    expect(pagesFor(95, 12, 100)).toEqual([0, 1]);
    expect(pagesFor(200, 10, 100)).toEqual([2]);
    expect(pagesFor(0, 0, 100)).toEqual([]);
  });
});

describe("PageCache", () => {
  it("finds rows by index and forgets the least recently used page", () => {
    const cache = new PageCache<number>(10, 2);
    cache.put(0, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    cache.put(1, [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(cache.row(3)).toBe(3); // page 0 is now the most recent
    cache.put(2, [20, 21]);
    expect(cache.has(1)).toBe(false);
    expect(cache.row(21)).toBe(21);
    expect(cache.row(5)).toBe(5);
  });

  it("updates every cached copy of a row", () => {
    const cache = new PageCache<{ id: number; v: string }>(2);
    cache.put(0, [{ id: 1, v: "a" }, { id: 2, v: "b" }]);
    cache.update((r) => r.id === 2, { id: 2, v: "B" });
    expect(cache.row(1)).toEqual({ id: 2, v: "B" });
  });
});
