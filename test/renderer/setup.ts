/**
 * jsdom has no layout: every element measures 0 x 0, so a virtualized list would show no
 * rows at all. Elements here measure as a laptop window would; nothing else is faked.
 */
for (const [prop, value] of [['offsetHeight', 800], ['offsetWidth', 1200], ['clientHeight', 800], ['clientWidth', 1200]] as const) {
  Object.defineProperty(HTMLElement.prototype, prop, { configurable: true, get: () => value });
}
