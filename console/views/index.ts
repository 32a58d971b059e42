/**
 * Every page of the console. A new group of pages is one more module here: its views, each
 * named by the first segment of the address's hash.
 */
import { acceptView } from "./accept.tsx";
import { apiKeysView } from "./api-keys.tsx";
import { auditView } from "./audit.tsx";
import { createOrgView } from "./create-org.tsx";
import { dataView } from "./data.tsx";
import { membersView } from "./members.tsx";
import { overviewView } from "./overview.tsx";
import { forgotView, resetView, verifyView } from "./recovery.tsx";
import { signInView } from "./sign-in.tsx";
import { webhooksView } from "./webhooks.tsx";
import type { View } from "./view.ts";

export const VIEWS: readonly View[] = [
  overviewView,
  membersView,
  dataView,
  auditView,
  webhooksView,
  apiKeysView,
  createOrgView,
  acceptView,
  forgotView,
  resetView,
  verifyView,
  signInView,
];

export { overviewView, signInView };
export type { View };
