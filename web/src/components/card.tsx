import type { ReactNode } from "react";

export function Card({
  title,
  actions,
  children,
  className,
  titleId,
}: {
  title?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
  titleId?: string;
}) {
  return (
    <section className={`card${className ? ` ${className}` : ""}`} aria-labelledby={titleId}>
      {title || actions ? (
        <div className="card-header">
          {title ? <h2 id={titleId}>{title}</h2> : <span />}
          {actions ? <div className="card-actions">{actions}</div> : null}
        </div>
      ) : null}
      {children}
    </section>
  );
}
