/** Every Abono API key secret starts with this; only bearer tokens that do are looked up as API keys. */
export const apiKeySecretPrefix = "abono_sk_";
