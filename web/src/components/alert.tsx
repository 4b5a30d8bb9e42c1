import type { ReactNode } from "react";

/** A message in a box: errors are announced at once (role=alert), the rest politely (role=status). */
export function Alert({
  tone = "info",
  children,
  testId,
}: {
  tone?: "info" | "success" | "warning" | "error";
  children: ReactNode;
  testId?: string;
}) {
  return (
    <div
      className={`alert alert-${tone}`}
      role={tone === "error" ? "alert" : "status"}
      data-testid={testId}
    >
      {children}
    </div>
  );
}
