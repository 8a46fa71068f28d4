/** Where a resource lives: every key starts with (account, region), from the SigV4 credential scope. */
export interface Scope {
  accountId: string;
  region: string;
}
