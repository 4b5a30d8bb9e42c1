import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { fieldErrors } from "./form-field.tsx";

/**
 * The state of a money action on an organization typed as an amount and a reason, then confirmed: submit
 * asks for confirmation, the confirmed send clears the form and refreshes the organization's page, and an
 * API problem about a field goes back to the form to show it there.
 */
export function useConfirmedAmountAction<Result>({
  organizationId,
  send,
}: {
  organizationId: string;
  send: (input: { amount: string; reason: string }) => Promise<Result>;
}) {
  const client = useQueryClient();
  const [amount, setAmount] = useState("");
  const [reason, setReason] = useState("");
  const [confirming, setConfirming] = useState(false);
  const mutation = useMutation({
    mutationFn: () => send({ amount, reason }),
    onSuccess: () => {
      setConfirming(false);
      setAmount("");
      setReason("");
      client.invalidateQueries({ queryKey: ["admin", "organization", organizationId] });
    },
    onError: (error) => {
      if (Object.keys(fieldErrors(error)).length > 0) setConfirming(false);
    },
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    mutation.reset();
    setConfirming(true);
  };
  return {
    mutation,
    errors: fieldErrors(mutation.error),
    amount,
    setAmount,
    reason,
    setReason,
    confirming,
    setConfirming,
    onSubmit,
  };
}
