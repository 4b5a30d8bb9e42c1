/** A usage bar with its numbers in words for assistive technology. */
export function Meter({ value, max, label }: { value: number; max: number; label: string }) {
  const ratio = max > 0 ? Math.min(value / max, 1) : 1;
  const tone = ratio >= 1 ? "danger" : ratio >= 0.8 ? "warning" : "ok";
  return (
    // A styled bar: the native <meter> cannot be styled alike across browsers; the role gives its meaning.
    // biome-ignore lint/a11y/useSemanticElements: see above
    <div
      className={`meter meter-${tone}`}
      role="meter"
      aria-valuemin={0}
      aria-valuemax={max}
      aria-valuenow={Math.min(value, max)}
      aria-label={label}
    >
      <div className="meter-fill" style={{ width: `${ratio * 100}%` }} />
    </div>
  );
}
