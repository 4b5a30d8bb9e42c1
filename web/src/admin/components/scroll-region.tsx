import type { ReactNode } from "react";

/**
 * A region that may scroll sideways (a wide table on a phone, raw JSON): focusable and named, so it can be
 * scrolled from the keyboard.
 */
export function ScrollRegion({
  label,
  className = "table-wrap",
  children,
}: {
  label: string;
  className?: string;
  children: ReactNode;
}) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
    <section className={className} tabIndex={0} aria-label={label}>
      {children}
    </section>
  );
}
