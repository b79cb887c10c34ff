// What jsdom lacks and the components use: ResizeObserver (bind:clientHeight) and a layout
// (every element reports a 440-pixel viewport, ten rows of the users grid).
class ResizeObserverStub {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
}
globalThis.ResizeObserver ??= ResizeObserverStub as unknown as typeof ResizeObserver;
Object.defineProperty(HTMLElement.prototype, "clientHeight", { configurable: true, get: () => 440 });
