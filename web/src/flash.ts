import { useSyncExternalStore } from "react";
import type { I18n } from "./i18n/i18n.tsx";

/**
 * A message shown on one screen after an action led there (a plan change, a purchase…), announced
 * politely. It belongs to the path it was made for, so it does not follow the customer around.
 */
export interface FlashMessage {
  /** Written when shown, so it follows the language switch. */
  text: (i18n: I18n) => string;
  tone: "success" | "info";
  path: string;
}

let message: FlashMessage | null = null;
const listeners = new Set<() => void>();
const changed = () => {
  for (const listener of listeners) listener();
};

export function flash(
  text: FlashMessage["text"],
  path: string,
  tone: FlashMessage["tone"] = "success",
) {
  message = { text, tone, path: path.replace(/\/+$/, "") || "/" };
  changed();
}

export function clearFlash() {
  message = null;
  changed();
}

export function useFlash(path: string): FlashMessage | null {
  const current = useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => message,
  );
  return current?.path === path ? current : null;
}
