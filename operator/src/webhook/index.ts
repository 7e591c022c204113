// The admission webhook of orders: site access by SubjectAccessReview, apply-time checks of
// the cluster's state, the requester recorded on the order, and its certificates.
export { startWebhook, type CertMode, type RunningWebhook, type WebhookOptions } from './run.ts';
export { REQUESTED_BY_ANNOTATION, parseRequester, type Requester } from './requester.ts';
export { MANAGE_VERB, SITES_RESOURCE } from './access.ts';
export { DEFAULT_CONFIGURATION_NAME, VALIDATING_WEBHOOK, MUTATING_WEBHOOK } from './register.ts';
export { ensureCertSecret, renewed, type CertPolicy, type WebhookCerts } from './certs.ts';
