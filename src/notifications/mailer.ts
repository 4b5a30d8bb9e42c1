import nodemailer, { type Transporter } from "nodemailer";
import type { EmailConfig } from "../config.ts";

export interface OutgoingEmail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  attachments?: { filename: string; content: Buffer; contentType: string }[];
}

export type DeliveryResult =
  | { status: "sent"; messageId: string }
  | { status: "failed"; error: string };

/** Delivers an email. SMTP when configured; in test mode the `emails` table itself is the mailbox. */
export interface Mailer {
  deliver(email: OutgoingEmail): Promise<DeliveryResult>;
}

const transports = new Map<string, Transporter>();

/**
 * SMTP through nodemailer when `ABONO_SMTP_URL` is set (one pooled transport per URL). Without it, test
 * mode renders the message with nodemailer's JSON transport (nothing leaves the process: the stored row is
 * what `GET /v1/mailbox` shows); outside test mode the email stays on record as failed, with the reason.
 */
export function createMailer({
  email,
  testMode,
}: {
  email: EmailConfig;
  testMode: boolean;
}): Mailer {
  const transport = email.smtpUrl
    ? transportFor(email.smtpUrl)
    : testMode
      ? nodemailer.createTransport({ jsonTransport: true })
      : null;
  return {
    async deliver(message) {
      if (!transport) {
        return { status: "failed", error: "No SMTP server is configured (ABONO_SMTP_URL)." };
      }
      try {
        const info = await transport.sendMail(message);
        return { status: "sent", messageId: String(info.messageId) };
      } catch (error) {
        return { status: "failed", error: error instanceof Error ? error.message : String(error) };
      }
    },
  };
}

function transportFor(url: string): Transporter {
  let transport = transports.get(url);
  if (!transport) {
    transport = nodemailer.createTransport(url);
    transports.set(url, transport);
  }
  return transport;
}
