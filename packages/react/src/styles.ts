/**
 * The components' stylesheet, added to the document once by `<AbonoProvider>` (unless `injectStyles` is
 * false). Every color, the radius and the font are custom properties: set `--abono-accent` and the others on
 * any ancestor (or pass `theme` to the provider) to match a product's look.
 */
export const abonoStyles = `
:where(.abono-theme) { display: contents; }
:where(.abono-pricing, .abono-plan-grid, .abono-meter, .abono-paywall, .abono-interval) {
  --_accent: var(--abono-accent, #1d4ed8);
  --_accent-contrast: var(--abono-accent-contrast, #ffffff);
  --_accent-soft: var(--abono-accent-soft, #e8eefc);
  --_text: var(--abono-text, #1f2933);
  --_muted: var(--abono-muted, #52606d);
  --_surface: var(--abono-surface, #ffffff);
  --_border: var(--abono-border, #d9e0e8);
  --_success: var(--abono-success, #116a3e);
  --_warning: var(--abono-warning, #8a4b00);
  --_danger: var(--abono-danger, #b42318);
  --_radius: var(--abono-radius, 10px);
  font-family: var(--abono-font, inherit);
  color: var(--_text);
  box-sizing: border-box;
}
.abono-visually-hidden {
  position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0, 0, 0, 0); white-space: nowrap; border: 0;
}
.abono-muted { color: var(--_muted); }
.abono-button {
  display: inline-flex; align-items: center; justify-content: center; min-height: 2.5rem;
  padding: 0.5rem 1rem; border-radius: 8px; border: 1px solid var(--_accent); font: inherit;
  font-weight: 600; text-decoration: none; cursor: pointer;
  background: var(--_accent); color: var(--_accent-contrast);
}
.abono-button.abono-secondary { background: var(--_surface); color: var(--_accent); }
.abono-button:focus-visible, .abono-interval label:focus-within {
  outline: 3px solid var(--_accent); outline-offset: 2px;
}
.abono-badge {
  display: inline-block; font-size: 0.78rem; font-weight: 600; padding: 0.1rem 0.55rem;
  border-radius: 999px; white-space: nowrap; border: 1px solid currentColor;
}
.abono-badge-success { color: var(--_success); }
.abono-badge-accent { color: var(--_accent); background: var(--_accent-soft); }
.abono-pricing-toolbar {
  display: flex; flex-wrap: wrap; gap: 0.75rem 1rem; align-items: center;
  justify-content: space-between; margin-bottom: 1rem;
}
.abono-interval {
  display: inline-flex; border: 1px solid var(--_border); border-radius: 999px; padding: 0.2rem;
  background: var(--_surface); margin: 0;
}
.abono-interval label {
  padding: 0.3rem 0.9rem; border-radius: 999px; cursor: pointer; font-weight: 500; color: var(--_muted);
}
.abono-interval label.abono-selected { background: var(--_accent); color: var(--_accent-contrast); }
.abono-interval input { position: absolute; opacity: 0; width: 1px; height: 1px; }
.abono-plan-grid {
  list-style: none; margin: 0; padding: 0; display: grid; gap: 1rem;
  grid-template-columns: repeat(auto-fill, minmax(min(100%, 15rem), 1fr));
}
.abono-plan-card {
  background: var(--_surface); border: 1px solid var(--_border); border-radius: var(--_radius);
  box-shadow: var(--abono-shadow, none); padding: 1rem 1.1rem; display: flex; flex-direction: column;
}
.abono-plan-card h3 { margin: 0.25rem 0; font-size: 1.15rem; }
.abono-plan-card.abono-current { border-color: var(--_success); box-shadow: 0 0 0 1px var(--_success); }
.abono-plan-card.abono-recommended { border-color: var(--_accent); box-shadow: 0 0 0 2px var(--_accent); }
.abono-plan-badges { display: flex; gap: 0.35rem; flex-wrap: wrap; }
.abono-price { margin: 0.5rem 0; }
.abono-amount { font-size: 1.6rem; font-weight: 700; }
.abono-per { color: var(--_muted); }
.abono-trial { font-size: 0.875rem; color: var(--_success); }
.abono-recommendation {
  font-size: 0.9rem; background: var(--_accent-soft); border-radius: 8px; padding: 0.4rem 0.6rem;
}
.abono-plan-features { list-style: none; padding: 0; margin: 0.5rem 0 1rem; font-size: 0.92rem; flex: 1; }
.abono-plan-features li { padding: 0.15rem 0; }
.abono-plan-features span[aria-hidden] { color: var(--_success); }
.abono-plan-features li.abono-excluded, .abono-plan-features li.abono-excluded span[aria-hidden] {
  color: var(--_muted);
}
.abono-plan-action .abono-button, .abono-plan-action .button { width: 100%; }
.abono-meter-head { display: flex; justify-content: space-between; gap: 0.5rem; flex-wrap: wrap; }
.abono-meter-name { font-weight: 600; }
.abono-meter-numbers { font-variant-numeric: tabular-nums; }
.abono-meter-bar {
  height: 0.5rem; background: var(--abono-track, #e4e9ef); border-radius: 999px; margin: 0.4rem 0;
  overflow: hidden;
}
.abono-meter-fill { height: 100%; background: var(--_accent); border-radius: 999px; }
.abono-meter-near .abono-meter-fill { background: var(--abono-near, #c27803); }
.abono-meter-over .abono-meter-fill { background: var(--_danger); }
.abono-meter-foot { display: flex; flex-wrap: wrap; gap: 0.25rem 1rem; font-size: 0.875rem; color: var(--_muted); }
.abono-meter-status { font-weight: 600; }
.abono-meter-status-near { color: var(--_warning); }
.abono-meter-status-over { color: var(--_danger); }
.abono-paywall {
  border: 1px dashed var(--_accent); border-radius: var(--_radius); background: var(--_accent-soft);
  padding: 0.75rem 1rem; margin: 0.5rem 0;
}
.abono-paywall h3 { margin: 0 0 0.25rem; font-size: 1rem; }
.abono-paywall p { margin: 0 0 0.5rem; }
.abono-error { color: var(--_danger); }
`;
